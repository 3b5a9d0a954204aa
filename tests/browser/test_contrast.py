"""WCAG AA contrast of every visible text in a real Chromium, light and dark (D8): a
computed-contrast walk (tests/browser/contrast.js) over a page with everything that shows text
(lines, times, notices, counts, badges, the room list, People, an alert, the version line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat, post_message
from .test_people import account_name, person
from .test_refusals import create_room

pytestmark = pytest.mark.browser

WALK = (Path(__file__).parent / "contrast.js").read_text()


def busy_page(server: ServerProcess, open_chat: OpenChat, scheme: str) -> ChatPage:
    """alice's page with something of every kind of text on it."""
    post_message(server, "ops", "deploy at noon", author="dave")
    post_message(server, "empty-room", "nobody here now", author="dave")
    bob = open_chat(server, "lobby", nick="bob")
    alice = open_chat(server, "lobby", nick="alice", color_scheme=scheme)
    bob.say("hello @alice, welcome")
    alice.say("thanks bob")
    alice.type_line("/join ops")
    expect(alice.title).to_have_text("#ops")
    alice.room_button("lobby").click()
    bob.say("one more for the unread count")
    alice.room_button("ops").click()
    bob.say("unread in lobby")
    alice.page.click("#refresh-rooms")
    alice.page.click("#all-rooms-toggle")
    alice.page.check("#show-empty")
    expect(alice.page.locator("#all-rooms .members").first).to_be_visible()
    alice.type_line("/nosuchcommand")
    expect(alice.alert).to_be_visible()
    alice.room_button("lobby").click()
    expect(alice.page.locator("#version")).not_to_be_empty()
    return alice


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_meets_wcag_aa_contrast(
    server: ServerProcess, open_chat: OpenChat, scheme: str
) -> None:
    alice = busy_page(server, open_chat, scheme)
    alice.type_line("/help")
    alice.page.locator(".room-view:not([hidden]) li.msg").first.hover()
    alice.screenshot(f"contrast-{scheme}")
    failures = alice.page.evaluate(WALK)
    assert failures == [], "\n".join(str(f) for f in failures)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_room_administration_dialogs_meet_wcag_aa_contrast(
    server: ServerProcess, open_chat: OpenChat, scheme: str
) -> None:
    alice = person(open_chat, server, account_name("alice"), color_scheme=scheme)
    create_room(alice, "team", private=True, topic="Plans")
    alice.type_line("/join team")
    expect(alice.page.locator("#room-topic")).to_have_text("Plans")
    failures = alice.page.evaluate(WALK)
    alice.page.click("#room-settings")
    expect(alice.page.locator("#room-sanctions")).to_contain_text("Nobody")
    failures += alice.page.evaluate(WALK)
    alice.page.keyboard.press("Escape")
    alice.page.click("#new-room")
    alice.page.fill("#create-name", "x" * 70)
    alice.page.get_by_role("button", name="Create", exact=True).click()
    expect(alice.page.locator("dialog[open] .dialog-status")).not_to_be_empty()
    failures += alice.page.evaluate(WALK)
    assert failures == [], "\n".join(str(f) for f in failures)
