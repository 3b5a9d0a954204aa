"""Chatting in the browser: rooms, nicknames, history, Unicode and hostile input."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from conftest import ServerProcess

from .conftest import OpenChat, post_message

pytestmark = pytest.mark.browser


def test_two_users_chat_and_another_room_hears_nothing(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    carol = open_chat(server, "elsewhere", nick="carol")
    expect(alice.people).to_have_text(["alice", "bob"])
    expect(bob.people).to_have_text(["alice", "bob"])
    expect(carol.people).to_have_text(["carol"])

    alice.say("hello bob")
    expect(bob.texts).to_have_text(["hello bob"])
    line = bob.messages.last
    expect(line.locator(".author")).to_have_text("alice")
    time = line.locator("time")
    expect(time).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    expect(time).to_have_attribute("title", re.compile(r"20\d\d"))

    bob.say("hi alice, how are you?")
    expect(alice.texts).to_have_text(["hello bob", "hi alice, how are you?"])

    # Carol's own line comes back after anything the server might have leaked to her room.
    carol.say("anyone here?")
    expect(carol.texts).to_have_text(["anyone here?"])
    expect(alice.texts).to_have_count(2)
    alice.screenshot("chat-desktop")


def test_consecutive_lines_are_grouped_and_joins_are_announced(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    alice.say("first")
    alice.say("second")
    expect(alice.messages.nth(0)).not_to_have_class(re.compile(r"\bgrouped\b"))
    expect(alice.messages.nth(1)).to_have_class(re.compile(r"\bgrouped\b"))

    bob = open_chat(server, "lobby", nick="bob")
    expect(alice.notices.last).to_contain_text("bob joined")
    bob.say("third")
    expect(alice.messages.nth(2)).not_to_have_class(re.compile(r"\bgrouped\b"))
    bob.page.context.close()
    expect(alice.notices.last).to_contain_text("bob left")
    expect(alice.people).to_have_text(["alice"])


def test_nickname_change_updates_every_user_list(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    carol = open_chat(server, "side", nick="carol")
    alice.type_line("/join side")
    expect(alice.title).to_have_text("#side")
    expect(carol.people).to_have_text(["alice", "carol"])

    # With the nickname field...
    alice.page.locator("#nick-input").fill("alicia")
    alice.page.locator("#nick-input").press("Enter")
    expect(bob.people).to_have_text(["alicia", "bob"])
    expect(carol.people).to_have_text(["alicia", "carol"])
    expect(alice.people).to_have_text(["alicia", "carol"])
    expect(bob.notices.last).to_have_text(re.compile(r"alice is now known as alicia"))

    # ...and with the command.
    alice.type_line("/nick Alice Liddell")
    expect(bob.people).to_have_text(["Alice Liddell", "bob"])
    expect(carol.people).to_have_text(["Alice Liddell", "carol"])
    expect(alice.page.locator("#nick-input")).to_have_value("Alice Liddell")
    alice.say("who am I?")
    expect(carol.messages.last.locator(".author")).to_have_text("Alice Liddell")

    # A name someone else has is refused inline; nothing changes anywhere.
    alice.type_line("/nick BOB")
    expect(alice.page.locator("#nick-error")).to_contain_text("taken")
    expect(alice.alert).to_contain_text("taken")
    expect(bob.people).to_have_text(["Alice Liddell", "bob"])


def test_reload_keeps_rooms_and_shows_history(server: ServerProcess, open_chat: OpenChat) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    alice.page.locator("#join-input").fill("project")
    alice.page.locator("#join-input").press("Enter")
    expect(alice.title).to_have_text("#project")
    assert alice.page.url.endswith("/#/room/project")
    for text in ("one", "two", "three"):
        alice.say(text)

    alice.page.reload()
    alice.wait_connected()
    expect(alice.title).to_have_text("#project")
    expect(alice.texts).to_have_text(["one", "two", "three"])
    expect(alice.page.locator("#my-rooms .room-button")).to_have_text(["#lobby", "#project"])
    expect(alice.people).to_have_text(["alice"])

    # The URL is a link to the room: a newcomer who opens it lands there, with its history.
    bob = open_chat(server, "project", nick="bob")
    expect(bob.title).to_have_text("#project")
    expect(bob.texts).to_have_text(["one", "two", "three"])

    # ?room= works as a link too, and the address settles on the #/room/ form.
    carol = open_chat(server, "lobby", nick="carol", connect=False)
    carol.page.goto(f"{server.http_url}/?room=project")
    carol.wait_connected()
    expect(carol.title).to_have_text("#project")
    expect(carol.texts).to_have_text(["one", "two", "three"])
    assert carol.page.url == f"{server.http_url}/#/room/project"


XSS_LINES = [
    '<img src=x onerror="window.__xss = 1">',
    "<script>window.__xss = 2</script>",
    "javascript:window.__xss=3",
    "[click me](javascript:window.__xss=4)",
    'see https://example.com/a?b=1&c=<b>2</b>"><img src=x onerror=window.__xss=5>',
]
XSS_NICK = "<img src=x onerror=alert(1)>"


def test_markup_in_messages_and_nicknames_shows_as_text(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    mallory = open_chat(server, "lobby", nick=XSS_NICK)
    alice = open_chat(server, "lobby", nick="alice")
    dialogs: list[str] = []
    alice.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for text in XSS_LINES:
        mallory.say(text)
    expect(alice.texts).to_have_count(len(XSS_LINES))
    assert alice.message_texts() == XSS_LINES
    expect(alice.messages.locator(".author").first).to_have_text(XSS_NICK)
    expect(alice.people).to_have_text([XSS_NICK, "alice"])

    for page in (alice.page, mallory.page):
        assert page.evaluate("window.__xss") is None
        assert page.locator("#app img, #app script, #app b").count() == 0
    # Only the http(s) URL became a link, and a safe one.
    links = alice.view.locator(".text a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", re.compile(r"^https://example\.com/a\?b=1&c="))
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    expect(links).to_have_attribute("target", "_blank")
    assert dialogs == []


UNICODE_LINES = [
    "Grüße, café, naïve, Ærøskøbing",
    "日本語のテキスト、中文，한국어",
    "مرحبا بالعالم",
    "שלום עולם",
    "emoji 👋🏽 👨‍👩‍👧 🇪🇺 🏳️‍🌈",
    "combining e\u0301 stays apart from é",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 beyond the BMP",
    "  leading and trailing spaces kept  ",
]


def test_non_latin_text_round_trips(server: ServerProcess, open_chat: OpenChat) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    with connect(f"{server.ws_url}?room=lobby&nick=wire", max_size=None) as wire:
        for text in UNICODE_LINES:
            alice.say(text)
        # Shift+Enter makes a new line inside one message.
        box = alice.page.locator("#composer-input")
        box.fill("line one")
        box.press("Shift+Enter")
        box.press_sequentially("line two ✓")
        box.press("Enter")
        expected = [*UNICODE_LINES, "line one\nline two ✓"]
        expect(bob.texts).to_have_count(len(expected))
        assert bob.message_texts() == expected
        assert alice.message_texts() == expected

        # On the wire each Message is base64 of exactly these UTF-8 bytes.
        received = []
        while len(received) < len(expected):
            frame = json.loads(wire.recv(timeout=10))
            if frame.get("Type") == "Chat":
                received.append(base64.b64decode(frame["Message"]).decode("utf-8"))
        assert received == expected

        # And text from another client shows exactly as it was sent.
        wire.send(json.dumps({"Message": base64.b64encode("ＲＴＬ: עברית ✓".encode()).decode()}))
        expect(bob.texts.last).to_have_text("ＲＴＬ: עברית ✓")
    rtl = bob.texts.nth(2)
    assert rtl.evaluate("el => getComputedStyle(el).direction") in {"ltr", "rtl"}
    assert rtl.get_attribute("dir") == "auto"


def test_scrolling_up_loads_older_history_without_jumping(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    total = 130
    for number in range(1, total + 1):
        post_message(server, "archive", f"archived line {number}", author="archivist")
    reader = open_chat(server, "archive", nick="reader")
    # The newest 50 arrive on join, and the view sits at the bottom.
    expect(reader.texts).to_have_count(50)
    expect(reader.texts.first).to_have_text("archived line 81")
    reader.expect_in_view(reader.texts.last)

    anchor = reader.view.locator('li.msg[data-id="81"]')
    reader.scroll_log("0")
    expect(reader.texts).to_have_count(100)
    expect(reader.texts.first).to_have_text("archived line 31")
    # The line that was at the top is still where the reader left it: the page did not jump.
    expect(anchor.locator(".text")).to_have_text("archived line 81")
    top = reader.log.evaluate("log => log.getBoundingClientRect().top")
    offset = anchor.evaluate("el => el.getBoundingClientRect().top") - top
    assert 0 <= offset < 120, offset

    reader.scroll_log("0")
    expect(reader.texts).to_have_count(total)
    expect(reader.view.locator(".history-top")).to_contain_text("beginning of")
    assert reader.message_texts() == [f"archived line {n}" for n in range(1, total + 1)]
    ids = reader.messages.evaluate_all("els => els.map(e => Number(e.dataset.id))")
    assert ids == sorted(set(ids))


def test_slash_commands(server: ServerProcess, open_chat: OpenChat) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")

    alice.type_line("/help")
    help_notice = alice.notices.last
    expect(help_notice).to_contain_text("/nick NAME")
    expect(help_notice).to_contain_text("/leave")

    alice.type_line("/me waves at everyone")
    expect(bob.messages.last).to_have_class(re.compile(r"\baction\b"))
    expect(bob.texts.last).to_have_text("* alice waves at everyone")

    alice.type_line("//slash at the start")
    expect(bob.texts.last).to_have_text("/slash at the start")

    alice.type_line("/frobnicate")
    expect(alice.alert).to_contain_text("Unknown command /frobnicate")
    expect(alice.page.locator("#composer-input")).to_have_value("/frobnicate")
    alice.page.locator("#alert-close").click()
    expect(alice.alert).to_be_hidden()

    alice.type_line("/join #team-2")
    expect(alice.title).to_have_text("#team-2")
    assert alice.page.url.endswith("#/room/team-2")
    expect(alice.people).to_have_text(["alice"])
    alice.type_line("/join not a room!")
    expect(alice.alert).to_contain_text("Usage: /join ROOM")

    alice.type_line("/join side")
    alice.type_line("/leave team-2")
    expect(alice.page.locator("#my-rooms .room-button")).to_have_text(["#lobby", "#side"])
    alice.type_line("/leave")
    expect(alice.title).to_have_text("#lobby")
    expect(alice.page.locator("#my-rooms .room-button")).to_have_text(["#lobby"])
    alice.page.get_by_role("button", name="Leave this room").click()
    expect(alice.alert).to_contain_text("only room")


def test_server_errors_show_inline(server_factory: Any, open_chat: OpenChat) -> None:
    server = server_factory("--max-text-chars", "20", "--userlist-interval", "0.02")
    alice = open_chat(server, "lobby", nick="alice")
    alice.type_line("this line is far longer than twenty characters")
    failed = alice.view.locator("li.pending.failed")
    expect(failed).to_contain_text("Not sent")
    expect(failed).to_contain_text("limit is 20")
    failed.get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(0)
    alice.say("short one")
    expect(alice.texts).to_have_text(["short one"])

    # A nickname the server refuses (reserved) is explained next to the field.
    alice.page.locator("#nick-input").fill("admin")
    alice.page.locator("#nick-input").press("Enter")
    expect(alice.page.locator("#nick-error")).to_contain_text("reserved")


def test_rate_limited_lines_are_sent_again_in_order(
    server_factory: Any, open_chat: OpenChat
) -> None:
    server = server_factory("--userlist-interval", "0.02", env={"ROOMCAST_RATE_MESSAGES": "4/2"})
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    lines = [f"quick line {number}" for number in range(1, 7)]
    for line in lines:
        alice.type_line(line)
    expect(alice.alert).to_contain_text("Too many messages")
    expect(bob.texts).to_have_text(lines)
    expect(alice.texts).to_have_text(lines)
    expect(alice.view.locator("li.pending")).to_have_count(0)


def test_unread_counts_and_new_messages_marker(server: ServerProcess, open_chat: OpenChat) -> None:
    for number in range(1, 41):
        post_message(server, "lobby", f"backlog {number}", author="archivist")
    alice = open_chat(server, "lobby", nick="alice")
    alice.type_line("/join random")
    expect(alice.title).to_have_text("#random")
    alice.room_button("lobby").click()
    expect(alice.title).to_have_text("#lobby")
    bob = open_chat(server, "random", nick="bob")
    for number in range(1, 4):
        bob.say(f"psst {number}")
    badge = alice.room_button("random").locator(".unread")
    expect(badge).to_have_text(re.compile(r"^3"))
    expect(alice.page).to_have_title(re.compile(r"^\(3\) #lobby"))
    alice.screenshot("unread")
    alice.room_button("random").click()
    expect(alice.texts).to_have_text(["psst 1", "psst 2", "psst 3"])
    expect(badge).to_have_count(0)
    expect(alice.page).to_have_title(re.compile(r"^#random"))

    # Scrolled up in a busy room, new lines do not move the view: a marker says they came.
    alice.room_button("lobby").click()
    carol = open_chat(server, "lobby", nick="carol")
    alice.expect_in_view(alice.texts.last)
    alice.scroll_log("log.scrollHeight - log.clientHeight - 400")
    scrolled = alice.log.evaluate("log => log.scrollTop")
    carol.say("news!")
    marker = alice.page.locator("#new-marker")
    expect(marker).to_have_text(re.compile("1 new message"))
    assert alice.log.evaluate("log => log.scrollTop") == scrolled
    alice.expect_in_view(alice.texts.last, visible=False)
    marker.click()
    expect(marker).to_be_hidden()
    alice.expect_in_view(alice.texts.last)

    # At the bottom, new lines scroll into view by themselves.
    carol.say("more news")
    expect(alice.texts.last).to_have_text("more news")
    alice.expect_in_view(alice.texts.last)
    expect(marker).to_be_hidden()


def test_following_the_newest_line_survives_a_late_scroll_event(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    """The event of the page's own jump to the bottom can come after more lines were added."""
    for number in range(1, 31):
        post_message(server, "burst", f"line {number}", author="archivist")
    reader = open_chat(server, "burst", nick="reader")
    expect(reader.texts).to_have_count(30)
    reader.expect_in_view(reader.texts.last)
    # Lines arrive, the page jumps to the bottom, more lines arrive before the jump's scroll
    # event is dispatched: the event then finds the view above the bottom.
    reader.view.evaluate(
        """view => {
            const log = document.getElementById("log");
            const tall = () => {
                const li = document.createElement("li");
                li.style.height = "600px";
                view.querySelector(".messages").append(li);
            };
            tall();
            log.scrollTop = log.scrollHeight;
            tall();
            log.dispatchEvent(new Event("scroll"));
        }"""
    )
    writer = open_chat(server, "burst", nick="writer")
    writer.say("still following")
    expect(reader.texts.last).to_have_text("still following")
    reader.expect_in_view(reader.texts.last)
