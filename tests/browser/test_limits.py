"""Length limits in a real Chromium (D5): a counter near the limit, and a text or room name over
it refused with a message, never cut to fit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from conftest import ServerProcess

from .conftest import OpenChat

pytestmark = pytest.mark.browser


def paste(box: Locator, text: str) -> None:
    """Put ``text`` in a box as a paste does (one input event, no key presses)."""
    box.evaluate(
        """(box, text) => {
            box.focus();
            document.execCommand("insertText", false, text);
        }""",
        text,
    )


def test_a_long_message_shows_a_counter_and_is_refused_not_cut(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    chat = open_chat(server, "lobby", nick="alice")
    box = chat.page.locator("#composer-input")
    counter = chat.page.locator("#composer-input-count")
    paste(box, "a" * 3500)
    expect(counter).to_be_hidden()
    paste(box, "b" * 300)
    expect(counter).to_be_visible()
    expect(counter).to_have_text("3,800 / 4,000")
    paste(box, "c" * 700)
    assert len(box.input_value()) == 4500
    expect(counter).to_have_text("4,500 / 4,000")
    box.press("Enter")
    expect(chat.alert).to_contain_text("at most 4,000 characters: this one has 500 too many")
    assert len(box.input_value()) == 4500
    expect(chat.messages).to_have_count(0)
    expect(chat.view.locator("li.pending")).to_have_count(0)
    # Back under the limit it goes, whole.
    box.fill("d" * 4000)
    box.press("Enter")
    expect(chat.texts).to_have_text(["d" * 4000])
    expect(counter).to_be_hidden()


def test_a_long_room_name_is_refused_not_cut(server: ServerProcess, open_chat: OpenChat) -> None:
    chat = open_chat(server, "lobby", nick="alice")
    name = "r" * 70
    field = chat.page.locator("#join-input")
    paste(field, name)
    assert field.input_value() == name
    expect(chat.page.locator("#join-input-count")).to_have_text("70 / 64")
    field.press("Enter")
    expect(chat.page.locator("#join-error")).to_contain_text("at most 64 characters")
    expect(chat.title).to_have_text("#lobby")
    expect(chat.room_button("r" * 64)).to_have_count(0)
    chat.type_line(f"/join {name}")
    expect(chat.alert).to_contain_text("A room name has at most 64 characters")
    expect(chat.title).to_have_text("#lobby")
