"""The rooms panel in a real Chromium: the focus stays on the room chosen by keyboard (D6), and
"All rooms" starts folded, busiest first, with empty rooms behind a filter, so the nickname and
account panels stay in view at 1366x768 (D13)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import ServerProcess

from .conftest import OpenChat, post_message

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


def focused_room(page: Page) -> str | None:
    """The data-room of the focused element (None when the focus is elsewhere, or on body)."""
    return page.evaluate(  # type: ignore[no-any-return]
        "() => document.activeElement?.dataset?.room ?? null"
    )


def test_the_focus_stays_on_the_room_chosen_by_keyboard(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    chat = open_chat(server, "lobby", nick="alice")
    chat.type_line("/join ops")
    expect(chat.title).to_have_text("#ops")
    chat.room_button("lobby").focus()
    chat.page.keyboard.press("Enter")
    expect(chat.title).to_have_text("#lobby")
    assert focused_room(chat.page) == "lobby"
    chat.page.keyboard.press("Tab")
    chat.page.keyboard.press("Shift+Tab")
    assert focused_room(chat.page) == "lobby"

    # In "All rooms" too.
    post_message(server, "news", "hello")
    open_chat(server, "news", nick="bob")
    chat.page.click("#refresh-rooms")
    chat.page.click("#all-rooms-toggle")
    entry = chat.page.locator('#all-rooms .room-button[data-room="news"]')
    entry.focus()
    chat.page.keyboard.press("Enter")
    expect(chat.title).to_have_text("#news")
    assert focused_room(chat.page) == "news"
    assert chat.page.evaluate("document.activeElement !== document.body")


def test_all_rooms_is_folded_busiest_first_and_hides_empty_rooms(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    for number in range(40):
        post_message(server, f"old-{number:02d}", "once upon a time")
    for _ in range(3):
        post_message(server, "chatty", "busy")
    watcher = open_chat(server, "quiet", nick="bob")
    open_chat(server, "chatty", nick="carol")
    chat = open_chat(server, "lobby", nick="alice", viewport=LAPTOP)
    page = chat.page
    page.click("#refresh-rooms")
    expect(page.locator("#all-rooms .room-button", has_text="chatty")).to_be_attached()
    # Folded, the panels under it are in view without scrolling.
    for selector in ("#nick-form", "#account-heading"):
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] + box["height"] <= LAPTOP["height"], selector
    expect(page.locator("#all-rooms")).to_be_hidden()
    toggle = page.locator("#all-rooms-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    names = page.locator("#all-rooms .room-button")
    expect(names.first).to_be_visible()
    shown = [str(n) for n in names.evaluate_all("els => els.map(e => e.dataset.room)")]
    # One person in each: the room with the most messages first; no empty room at all.
    assert shown == ["chatty", "lobby", "quiet"], shown
    assert not any(name.startswith("old-") for name in shown), shown
    expect(page.locator("#all-rooms")).to_contain_text("40 empty rooms hidden")
    page.click("#show-empty")
    expect(page.locator('#all-rooms .room-button[data-room="old-00"]')).to_be_visible()
    watcher.page.close()
