"""Searching in the browser: the dialog and its keys, results grouped by room with their
highlight shown as text, and opening a result in its room, from where scrolling reaches both the
room's first line and its newest one."""

from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import Locator, expect
from websockets.sync.client import connect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat, post_message

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.pwned=1">'


def dialog(chat: ChatPage) -> Locator:
    return chat.page.locator("#search")


def results(chat: ChatPage) -> Locator:
    return chat.page.locator("#search-results .search-result")


def search(chat: ChatPage, query: str) -> None:
    """Open the dialog with Ctrl+K and type ``query`` (the search runs as one types)."""
    chat.page.keyboard.press("Control+k")
    expect(dialog(chat)).to_be_visible()
    chat.page.locator("#search-input").fill(query)


def test_ctrl_k_slash_and_the_button_open_it_and_escape_gives_the_focus_back(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    page = alice.page
    box = page.locator("#composer-input")
    search_input = page.locator("#search-input")

    box.focus()
    page.keyboard.press("Control+k")
    expect(dialog(alice)).to_be_visible()
    expect(search_input).to_be_focused()
    expect(dialog(alice)).to_have_attribute("aria-labelledby", "search-title")
    page.keyboard.press("Escape")
    expect(dialog(alice)).to_be_hidden()
    expect(box).to_be_focused()

    # "/" outside a text field opens it; in the message box it is the start of a command.
    alice.log.focus()
    page.keyboard.press("/")
    expect(dialog(alice)).to_be_visible()
    expect(search_input).to_have_value("")
    page.keyboard.press("Escape")
    expect(alice.log).to_be_focused()
    box.focus()
    page.keyboard.type("/help")
    expect(dialog(alice)).to_be_hidden()
    expect(box).to_have_value("/help")

    # The visible button, and its label; Tab stays inside the open dialog.
    button = page.get_by_role("button", name="Search messages")
    button.click()
    expect(search_input).to_be_focused()
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('search').contains(document.activeElement)")
    page.locator("#search-close").click()
    expect(dialog(alice)).to_be_hidden()
    expect(button).to_be_focused()


def test_results_are_grouped_by_room_and_their_highlight_is_text(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    post_message(server, "lobby", f"deploy {XSS} tonight", author="carol")
    post_message(server, "lobby", "nothing to see here")
    post_message(server, "ops", "the deploy is done", author="dave")
    alice = open_chat(server, "lobby", nick="alice")
    page = alice.page

    search(alice, "deploy")
    expect(results(alice)).to_have_count(2)
    rooms = page.locator("#search-results .search-group .search-room")
    expect(rooms).to_have_count(2)
    # In the order of their best result (relevance, then recency).
    assert sorted(rooms.all_text_contents()) == ["#lobby", "#ops"]
    lobby_hit = page.locator('#search-results .search-result[data-room="lobby"]')
    expect(lobby_hit.locator(".author")).to_have_text("carol")
    expect(lobby_hit.locator("time")).to_have_attribute("datetime", re.compile(r"^20\d\d-"))
    expect(lobby_hit.locator("mark")).to_have_text(["deploy"])
    # The markup in the line is shown as its characters: no element was made from it.
    expect(lobby_hit.locator(".search-text")).to_have_text(f"deploy {XSS} tonight")
    expect(page.locator("#search-results img")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    expect(page.get_by_role("listbox", name="Results")).to_be_visible()

    # Only this room.
    page.get_by_label("Only in #lobby").check()
    expect(results(alice)).to_have_count(1)
    expect(rooms).to_have_count(1)
    page.get_by_label("Only in #lobby").uncheck()
    expect(results(alice)).to_have_count(2)

    # ↑/↓ move the active result (the input keeps the focus).
    search_input = page.locator("#search-input")
    search_input.press("ArrowDown")
    first = results(alice).first
    expect(first).to_have_attribute("aria-selected", "true")
    active = first.get_attribute("id")
    expect(search_input).to_have_attribute("aria-activedescendant", active or "")
    search_input.press("ArrowDown")
    expect(results(alice).nth(1)).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    search_input.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")

    # A query the server refuses says why, in the dialog.
    search_input.fill('"deploy')
    status = page.locator("#search-status")
    expect(status).to_have_attribute("data-kind", "error")
    expect(status).not_to_be_empty()
    expect(results(alice)).to_have_count(0)
    search_input.fill("nosuchword")
    expect(status).to_have_text("No messages found.")
    alice.screenshot("search-results")


def test_more_loads_the_next_page_of_a_room(server: ServerProcess, open_chat: OpenChat) -> None:
    for n in range(1, 31):
        post_message(server, "lobby", f"report number {n}")
    alice = open_chat(server, "lobby", nick="alice")
    page = alice.page
    search(alice, "report")
    page.get_by_label("Only in #lobby").check()
    expect(results(alice)).to_have_count(20)
    more = page.locator("#search-results .search-more")
    expect(more).to_be_visible()
    # By keyboard: End of the list is "More", Enter loads it.
    for _ in range(21):
        page.locator("#search-input").press("ArrowDown")
    expect(more).to_have_attribute("aria-selected", "true")
    page.locator("#search-input").press("Enter")
    expect(results(alice)).to_have_count(30)
    expect(more).to_be_hidden()
    ids = results(alice).evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(set(ids)) == 30


def scroll_until(chat: ChatPage, expression: str, done: str, tries: int = 40) -> None:
    """Scroll the log to ``expression`` again and again until the page says ``done``."""
    for _ in range(tries):
        if chat.page.evaluate(done):
            return
        chat.scroll_log(expression)
        chat.page.wait_for_timeout(150)
    assert chat.page.evaluate(done), f"never: {done}"


def test_a_result_opens_its_room_around_it_and_scrolling_reaches_both_ends(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    total = 260
    for n in range(1, total + 1):
        post_message(server, "lobby", f"line {n}" + (" needle" if n == 60 else ""))
    alice = open_chat(server, "lobby", nick="alice")
    expect(alice.texts.last).to_have_text(f"line {total}")

    search(alice, "needle")
    expect(results(alice)).to_have_count(1)
    alice.page.locator("#search-input").press("ArrowDown")
    alice.page.locator("#search-input").press("Enter")
    expect(dialog(alice)).to_be_hidden()
    found = alice.view.locator("li.msg.found")
    expect(found.locator(".text")).to_have_text("line 60 needle")
    alice.expect_in_view(found)
    expect(found).to_be_focused()
    # Only the lines around it are loaded: neither the first nor the newest.
    texts = alice.message_texts()
    assert "line 1" not in texts
    assert f"line {total}" not in texts
    assert {"line 59", "line 61"} <= set(texts)
    to_live = alice.page.locator("#to-live")
    expect(to_live).to_be_visible()

    # A live line while the older ones are shown waits for its turn (no gap, no jump).
    post_message(server, "lobby", "said meanwhile")
    alice.page.wait_for_timeout(300)
    assert "said meanwhile" not in alice.message_texts()

    top = (
        "document.querySelector('.room-view:not([hidden]) .history-top').dataset.state === 'start'"
    )
    scroll_until(alice, "0", top)
    expect(alice.texts.first).to_have_text("line 1")
    scroll_until(alice, "log.scrollHeight", "document.getElementById('to-live').hidden")
    expect(alice.texts.last).to_have_text("said meanwhile")
    expected = [f"line {n}" + (" needle" if n == 60 else "") for n in range(1, total + 1)]
    assert alice.message_texts() == [*expected, "said meanwhile"]

    # At the newest line again: live lines come in as always, once.
    post_message(server, "lobby", "live again")
    expect(alice.texts.last).to_have_text("live again")
    assert alice.message_texts().count("live again") == 1
    alice.say("my own line")
    expect(alice.texts.last).to_have_text("my own line")


def test_a_result_in_a_room_not_joined_joins_it_and_sending_returns_to_the_newest(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    for n in range(1, 121):
        post_message(server, "ops", f"ops {n}" + (" rollback" if n == 10 else ""))
    alice = open_chat(server, "lobby", nick="alice")
    search(alice, "rollback")
    expect(results(alice)).to_have_count(1)
    results(alice).first.click()
    expect(alice.title).to_have_text("#ops")
    found = alice.view.locator("li.msg.found")
    expect(found.locator(".text")).to_have_text("ops 10 rollback")
    alice.expect_in_view(found)
    assert "ops 120" not in alice.message_texts()
    expect(alice.room_button("ops")).to_be_visible()

    # Sending a line goes back to the newest lines, where it is.
    alice.say("back to now")
    expect(alice.page.locator("#to-live")).to_be_hidden()
    expect(alice.texts.last).to_have_text("back to now")
    texts = alice.message_texts()
    assert "ops 120" in texts
    assert "ops 10 rollback" not in texts
    assert len(texts) == len(set(texts))


def test_a_reply_in_a_thread_opens_at_its_root_with_the_thread_beside_it(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    root = post_message(server, "lobby", "what fruit for friday?")
    with connect(f"{server.ws_url}?room=lobby&nick=carol") as wire:
        text = base64.b64encode(b"a kiwi for everyone").decode()
        wire.send(json.dumps({"Message": text, "Room": "lobby", "Thread": root, "Ref": 1}))
        while json.loads(wire.recv(timeout=10)).get("Type") != "Ack":
            pass
    for n in range(1, 81):
        post_message(server, "lobby", f"later {n}")
    alice = open_chat(server, "lobby", nick="alice")
    search(alice, "kiwi")
    expect(results(alice)).to_have_count(1)
    expect(results(alice).first.locator(".search-where")).to_have_text("in a thread")
    alice.page.locator("#search-input").press("ArrowDown")
    alice.page.locator("#search-input").press("Enter")
    found = alice.view.locator("li.msg.found")
    expect(found.locator(".text")).to_have_text("what fruit for friday?")
    expect(alice.page.locator("#thread-panel")).to_be_visible()
    expect(alice.page.locator("#thread-list .text")).to_have_text(
        ["what fruit for friday?", "a kiwi for everyone"]
    )
