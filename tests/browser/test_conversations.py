"""Conversations in the browser: replies, threads, edits, deletions, reactions and typing.

Every test has two people (two pages, or a page and a raw WebSocket client) and checks what the
other one sees, on the desktop, by keyboard alone and in the phone layout.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Locator, WebSocket, WebSocketRoute, expect
from websockets.sync.client import ClientConnection, connect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat, post_message

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"


# -- helpers -------------------------------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Wire:
    """A raw WebSocket client in a room, to act where no page does."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.refs = 0

    def ask(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send ``frame`` with a fresh Ref; return its Ack (or Error)."""
        self.refs += 1
        ref = f"w{self.refs}"
        self.ws.send(json.dumps({**frame, "Ref": ref}))
        return self.wait(lambda f: f.get("Ref") == ref)

    def wait(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = json.loads(self.ws.recv(timeout=deadline - time.monotonic()))
            if match(frame):
                return frame  # type: ignore[no-any-return]
        raise AssertionError("no such frame")


@contextmanager
def wire(server: ServerProcess, room: str, nick: str) -> Iterator[Wire]:
    with connect(f"{server.ws_url}?room={room}&nick={nick}", max_size=None) as ws:
        client = Wire(ws)
        client.wait(lambda f: f.get("Type") == "Joined")
        yield client


def admin_delete(server: ServerProcess, room: str, message: int) -> None:
    """Delete a message through the REST API, as a server admin's script would."""
    request = urllib.request.Request(
        f"{server.http_url}/api/rooms/{room}/messages/{message}",
        method="DELETE",
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def line(chat: ChatPage, text: str) -> Locator:
    """The stored message of the room on screen whose text is exactly ``text``."""
    exact = chat.page.locator(".text").filter(has_text=re.compile(f"^{re.escape(text)}$"))
    return chat.messages.filter(has=exact)


def thread_texts(chat: ChatPage) -> Locator:
    return chat.page.locator("#thread-list > li.msg .text")


def act(chat: ChatPage, target: Locator, action: str) -> None:
    """Hover a line and press one of its actions ("Reply", "Edit", ...)."""
    target.hover()
    target.locator(".msg-actions").get_by_role("button", name=action, exact=True).click()


def offered(chat: ChatPage, target: Locator) -> list[str]:
    """The actions the bar of a line offers (after hovering it)."""
    target.hover()
    bar = target.locator(".msg-actions")
    expect(bar).to_be_visible()
    return [
        str(label)
        for label in bar.locator("button:not([hidden])").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label'))"
        )
    ]


def long_press(chat: ChatPage, target: Locator) -> None:
    """Hold a finger on ``target`` (real touch events, through the DevTools protocol)."""
    box = target.bounding_box()
    assert box is not None
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    session = chat.page.context.new_cdp_session(chat.page)
    session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    chat.page.wait_for_timeout(800)
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


def run_module(chat: ChatPage, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate ``body`` (a function of ``(m, arg)``) with the client module imported as m."""
    script = (
        f"async (arg) => {{ const m = await import('/static/{module}'); return ({body})(m, arg); }}"
    )
    return chat.page.evaluate(script, arg)


# -- replies -------------------------------------------------------------------------------------


def test_a_reply_quotes_its_parent_and_the_quote_leads_there(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    post_message(server, "lobby", "Who can review the release notes?", author="carol")
    for number in range(1, 41):
        post_message(server, "lobby", f"chatter {number}", author="dave")
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    question = line(bob, "Who can review the release notes?")

    act(bob, question, "Reply")
    bar = bob.page.locator("#reply-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Replying to carol")
    bob.say("I can, after lunch")

    answer = line(alice, "I can, after lunch")
    quote = answer.locator(".quote")
    expect(quote).to_contain_text("carol")
    expect(quote).to_contain_text("Who can review the release notes?")
    expect(bar).to_be_hidden()
    parent = line(alice, "Who can review the release notes?")
    alice.expect_in_view(parent, visible=False)
    quote.click()
    alice.expect_in_view(parent)
    expect(parent).to_be_focused()

    # Esc closes the reply bar: the next line answers nothing.
    act(bob, line(bob, "chatter 40"), "Reply")
    expect(bar).to_be_visible()
    bob.page.locator("#composer-input").press("Escape")
    expect(bar).to_be_hidden()
    bob.say("just a line")
    expect(line(alice, "just a line")).to_have_count(1)
    expect(line(alice, "just a line").locator(".quote")).to_have_count(0)
    alice.screenshot("conversation-reply")


def test_a_quote_of_a_message_not_loaded_pages_back_to_it(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    first = post_message(server, "lobby", "the very first line", author="carol")
    doomed = post_message(server, "lobby", "a line that will go", author="carol")
    for number in range(1, 81):
        post_message(server, "lobby", f"filler {number}", author="dave")
    with wire(server, "lobby", "wire") as client:
        for target, text in ((doomed, "answering the doomed one"), (first, "answering the first")):
            frame = {"Message": b64(text), "Room": "lobby", "ReplyTo": target}
            assert client.ask(frame)["Type"] == "Ack"
    admin_delete(server, "lobby", doomed)

    alice = open_chat(server, "lobby", nick="alice")
    reply = line(alice, "answering the first")
    quote = reply.locator(".quote")
    expect(quote).to_have_text("In reply to a message")
    expect(line(alice, "the very first line")).to_have_count(0)
    quote.click()
    parent = line(alice, "the very first line")
    expect(parent).to_have_count(1)
    alice.expect_in_view(parent)
    expect(quote).to_contain_text("carol")
    expect(quote).to_contain_text("the very first line")

    # The parent of the other reply was deleted: its quote stays generic and leads nowhere.
    orphan = line(alice, "answering the doomed one").locator(".quote")
    expect(orphan).to_have_text("In reply to a message")
    orphan.click()
    expect(alice.alert).to_contain_text("not available")
    expect(line(alice, "a line that will go")).to_have_count(0)


# -- threads -------------------------------------------------------------------------------------


def test_a_thread_has_its_panel_and_its_root_counts_the_replies(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    alice.say("Plan for Friday?")
    alice.say("(unrelated)")
    panel = alice.page.locator("#thread-panel")
    expect(panel).to_be_hidden()

    act(alice, line(alice, "Plan for Friday?"), "Reply in a thread")
    expect(panel).to_be_visible()
    expect(thread_texts(alice)).to_have_text(["Plan for Friday?"])
    expect(alice.page.locator("#thread-input")).to_be_focused()
    alice.page.locator("#thread-input").fill("I'll bring snacks")
    alice.page.locator("#thread-input").press("Enter")
    expect(thread_texts(alice)).to_have_text(["Plan for Friday?", "I'll bring snacks"])

    # Bob's room shows the root with its count, never the reply itself.
    root = line(bob, "Plan for Friday?")
    expect(root.locator(".thread-summary")).to_have_text("1 reply")
    expect(bob.texts).to_have_text(["Plan for Friday?", "(unrelated)"])
    root.locator(".thread-summary").click()
    bob_panel = bob.page.locator("#thread-panel")
    expect(bob_panel).to_be_visible()
    expect(thread_texts(bob)).to_have_text(["Plan for Friday?", "I'll bring snacks"])
    bob.page.locator("#thread-input").fill("Great, I'll bring drinks")
    bob.page.locator("#thread-input").press("Enter")

    # Alice's open panel gets it live; her room only counts it.
    expect(thread_texts(alice)).to_have_text(
        ["Plan for Friday?", "I'll bring snacks", "Great, I'll bring drinks"]
    )
    expect(line(alice, "Plan for Friday?").locator(".thread-summary")).to_have_text("2 replies")
    expect(alice.texts).to_have_text(["Plan for Friday?", "(unrelated)"])

    # Lines in the panel have their own actions: reactions, and edits of one's own.
    in_panel = alice.page.locator("#thread-list > li.msg")
    theirs = in_panel.filter(has_text="Great, I'll bring drinks")
    assert offered(alice, theirs) == ["Add a reaction"]
    assert offered(alice, in_panel.filter(has_text="snacks")) == [
        "Add a reaction",
        "Edit",
        "Delete",
    ]
    act(alice, theirs, "Add a reaction")
    alice.page.locator("#emoji-picker").get_by_role("button", name="👍").click()
    bob_reply = bob.page.locator("#thread-list > li.msg").filter(has_text="bring drinks")
    expect(bob_reply.locator(".reaction-count")).to_have_text("1")
    alice.screenshot("conversation-thread")

    # Esc closes the panel and gives the focus back to the root.
    alice.page.locator("#thread-input").press("Escape")
    expect(panel).to_be_hidden()
    expect(line(alice, "Plan for Friday?")).to_be_focused()

    # Someone who comes later sees the count from the history, and the thread on demand.
    carol = open_chat(server, "lobby", nick="carol")
    expect(carol.texts).to_have_text(["Plan for Friday?", "(unrelated)"])
    carol_root = line(carol, "Plan for Friday?")
    expect(carol_root.locator(".thread-summary")).to_have_text("2 replies")
    act(carol, carol_root, "Open the thread")
    expect(thread_texts(carol)).to_have_text(
        ["Plan for Friday?", "I'll bring snacks", "Great, I'll bring drinks"]
    )


# -- edits ---------------------------------------------------------------------------------------


def test_editing_ones_own_line_in_place_and_its_versions(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    alice.say("helo wrld")
    bob.say("bob's own line")
    theirs = line(bob, "helo wrld")
    expect(theirs).to_have_count(1)
    # Bob may not edit or delete alice's line: he is not offered to.
    assert offered(bob, theirs) == ["Add a reaction", "Reply", "Reply in a thread"]
    assert offered(alice, line(alice, "helo wrld")) == [
        "Add a reaction",
        "Reply",
        "Reply in a thread",
        "Edit",
        "Delete",
    ]

    # Esc cancels an edit: nothing changes anywhere.
    mine = line(alice, "helo wrld")
    act(alice, mine, "Edit")
    editor = mine.locator("textarea.editor-input")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("helo wrld")
    editor.fill("something else")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(mine.locator(".text")).to_have_text("helo wrld")
    expect(mine).to_be_focused()

    # Up arrow in the empty message box edits one's last line; Enter saves.
    box = alice.page.locator("#composer-input")
    box.focus()
    box.press("ArrowUp")
    expect(editor).to_be_focused()
    editor.fill("hello world")
    editor.press("Enter")
    expect(editor).to_have_count(0)
    edited = line(bob, "hello world")
    expect(edited).to_have_count(1)
    expect(edited.locator(".edited-marker")).to_have_text("(edited)")
    expect(line(alice, "hello world").locator(".edited-marker")).to_be_visible()
    expect(bob.texts).to_have_text(["hello world", "bob's own line"])

    # The marker opens the versions, the original first.
    edited.locator(".edited-marker").click()
    dialog = bob.page.locator("#versions")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".version .text")).to_have_text(["helo wrld", "hello world"])
    bob.screenshot("conversation-versions")
    bob.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(edited.locator(".edited-marker")).to_be_focused()

    # A later visitor gets the line as it is now, marked as edited.
    carol = open_chat(server, "lobby", nick="carol")
    expect(line(carol, "hello world").locator(".edited-marker")).to_be_visible()


# -- deletions -----------------------------------------------------------------------------------


def test_deleting_asks_first_and_moderators_may_delete_anyones_line(
    server_factory: Any, open_chat: OpenChat
) -> None:
    moderator = "mod" + secrets.token_hex(3).replace("1", "x").replace("0", "y")
    server = server_factory("--userlist-interval", "0.02", "--admins", moderator)
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    alice.say("oops, wrong room")
    alice.say("a keeper")
    expect(bob.texts).to_have_text(["oops, wrong room", "a keeper"])

    dialog = alice.page.locator("#confirm-delete")
    act(alice, line(alice, "oops, wrong room"), "Delete")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("oops, wrong room")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    act(alice, line(alice, "oops, wrong room"), "Delete")
    dialog.get_by_role("button", name="Delete").click()
    expect(bob.texts).to_have_text(["a keeper"])
    expect(alice.texts).to_have_text(["a keeper"])

    # A server admin signs in: the Room frame's role lets them delete bob's line, not edit it.
    mod = open_chat(server, "lobby")
    mod.page.fill("#account-name", moderator)
    mod.page.fill("#account-password", PASSWORD)
    mod.page.click("#sign-up")
    expect(mod.page.locator("#account-user")).to_have_text(moderator)
    mod.wait_connected()
    bob.say("buy cheap watches")
    spam = line(mod, "buy cheap watches")
    assert offered(mod, spam) == [
        "Add a reaction",
        "Reply",
        "Reply in a thread",
        "Delete",
        "Moderate the author",
    ]
    assert "Delete" not in offered(alice, line(alice, "buy cheap watches"))
    act(mod, spam, "Delete")
    mod.page.locator("#confirm-delete").get_by_role("button", name="Delete").click()
    expect(alice.texts).to_have_text(["a keeper"])
    expect(bob.texts).to_have_text(["a keeper"])


# -- reactions -----------------------------------------------------------------------------------


def test_reactions_show_as_chips_that_toggle(server: ServerProcess, open_chat: OpenChat) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    bob.say("Ship it?")
    bob.say("Another line")

    picker = alice.page.locator("#emoji-picker")
    act(alice, line(alice, "Ship it?"), "Add a reaction")
    expect(picker).to_be_visible()
    expect(picker.locator("#emoji-common .emoji-choice").first).to_be_focused()
    expect(picker.locator("#emoji-used")).to_be_hidden()
    alice.screenshot("conversation-picker")
    picker.get_by_role("button", name="🎉").click()
    expect(picker).to_be_hidden()

    chip = line(bob, "Ship it?").locator(".reaction")
    expect(chip).to_have_count(1)
    expect(chip.locator(".reaction-emoji")).to_have_text("🎉")
    expect(chip.locator(".reaction-count")).to_have_text("1")
    expect(chip).to_have_attribute("aria-pressed", "false")
    alice_chip = line(alice, "Ship it?").locator(".reaction")
    expect(alice_chip).to_have_attribute("aria-pressed", "true")

    # Bob adds his by clicking the chip; both see two, each their own highlighted.
    chip.click()
    expect(alice_chip.locator(".reaction-count")).to_have_text("2")
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(chip).to_have_class(re.compile(r"\bmine\b"))
    # Who reacted: on hover, and on focus.
    who = alice_chip.locator(".reaction-who")
    expect(who).to_be_hidden()
    alice_chip.hover()
    expect(who).to_be_visible()
    expect(who).to_have_text("alice, bob")
    alice.page.mouse.move(0, 0)
    expect(who).to_be_hidden()
    alice_chip.focus()
    expect(who).to_be_visible()

    # Alice clicks hers away.
    alice_chip.click()
    expect(chip.locator(".reaction-count")).to_have_text("1")
    expect(alice_chip).to_have_attribute("aria-pressed", "false")
    expect(chip.locator(".reaction-who")).to_have_text("bob")

    # The picker offers the emoji used in the room besides the common ones.
    with wire(server, "lobby", "wire") as client:
        target = int(line(alice, "Another line").get_attribute("data-id") or 0)
        react = {"Type": "React", "Room": "lobby", "Target": target, "Emoji": "🦄"}
        assert client.ask(react)["Type"] == "Ack"
    expect(line(alice, "Another line").locator(".reaction-emoji")).to_have_text("🦄")
    act(alice, line(alice, "Another line"), "Add a reaction")
    expect(picker.locator("#emoji-used .emoji-choice")).to_have_text(["🦄"])
    picker.locator("#emoji-used .emoji-choice").click()
    expect(line(bob, "Another line").locator(".reaction-count")).to_have_text("2")


# -- typing --------------------------------------------------------------------------------------


def test_who_is_typing_shows_under_the_message_box(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    sent: list[dict[str, Any]] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))

    watcher = open_chat(server, "lobby", nick="erin")
    alice = open_chat(server, "lobby", nick="alice", connect=False)
    alice.page.on("websocket", watch)
    alice.open("lobby")
    bob = open_chat(server, "lobby", nick="bob")
    carol = open_chat(server, "lobby", nick="carol")
    typing = watcher.page.locator("#typing")
    expect(typing).to_have_text("")

    started = time.monotonic()
    alice.page.locator("#composer-input").press_sequentially("hello every", delay=60)
    expect(typing).to_have_text("alice is typing…")
    expect(alice.page.locator("#typing")).to_have_text("")  # never oneself
    bob.page.locator("#composer-input").press_sequentially("hi")
    expect(typing).to_have_text(re.compile(r"^(alice and bob|bob and alice) are typing…$"))
    carol.page.locator("#composer-input").press_sequentially("yo")
    expect(typing).to_have_text("several people are typing…")
    expect(alice.page.locator("#typing")).to_have_text(
        re.compile(r"^(bob and carol|carol and bob) are typing…$")
    )

    # Sending the line and clearing the box take them out.
    alice.page.locator("#composer-input").press_sequentially("one")
    alice.page.locator("#composer-input").press("Enter")
    bob.page.locator("#composer-input").fill("")
    expect(typing).to_have_text("carol is typing…")
    carol.page.locator("#composer-input").fill("")
    expect(typing).to_have_text("")
    typed_for = time.monotonic() - started

    # Alice's page said Typing at most once every 3 s while she typed, then Stop.
    frames = [f for f in sent if f.get("Type") == "Typing"]
    starts = [f for f in frames if not f.get("Stop")]
    assert 1 <= len(starts) <= 1 + int(typed_for / 3), frames
    assert frames[-1] == {"Type": "Typing", "Room": "lobby", "Stop": True}
    # A command is not talk.
    alice.page.locator("#composer-input").press_sequentially("/nick alicia")
    watcher.page.wait_for_timeout(500)
    expect(typing).to_have_text("")


# -- resume --------------------------------------------------------------------------------------


def test_events_missed_while_away_are_applied_on_resume(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    old = post_message(server, "lobby", "an old line, out of the backlog", author="carol")
    for number in range(1, 55):
        post_message(server, "lobby", f"backlog {number}", author="carol")
    bob = open_chat(server, "lobby", nick="bob")
    alice = open_chat(server, "lobby", nick="alice", connect=False)
    network = {"up": True}
    sockets: list[WebSocketRoute] = []

    def route(ws: WebSocketRoute) -> None:
        if network["up"]:
            sockets.append(ws)
            ws.connect_to_server()
        else:
            ws.close(code=4000, reason="network down")

    alice.page.route_web_socket(re.compile(r"/ws\?"), route)
    alice.open("lobby")
    for text in ("typo here", "to be removed", "react to me"):
        bob.say(text)
    expect(line(alice, "react to me")).to_have_count(1)
    expect(line(alice, "an old line, out of the backlog")).to_have_count(0)

    network["up"] = False
    sockets[-1].close(code=4000, reason="cable pulled")
    expect(alice.connection).to_have_text(re.compile(r"Reconnecting"))
    # Bob's page says alice left: wait for that notice, which scrolls his log, before aiming
    # at a line's buttons (a click aimed before the scroll lands on the line below).
    expect(bob.notices.filter(has_text="alice left")).to_have_count(1)
    act(bob, line(bob, "typo here"), "Edit")
    bob.messages.locator("textarea.editor-input").fill("no typo here")
    bob.messages.locator("textarea.editor-input").press("Enter")
    expect(line(bob, "no typo here")).to_have_count(1)
    act(bob, line(bob, "to be removed"), "Delete")
    bob.page.locator("#confirm-delete").get_by_role("button", name="Delete").click()
    expect(line(bob, "to be removed")).to_have_count(0)
    act(bob, line(bob, "react to me"), "Add a reaction")
    bob.page.locator("#emoji-picker").get_by_role("button", name="👍").click()
    expect(line(bob, "react to me").locator(".reaction")).to_have_count(1)
    # The last event is about a line alice's page does not hold: it only moves her resume point.
    with wire(server, "lobby", "wire") as client:
        react = {"Type": "React", "Room": "lobby", "Target": old, "Emoji": "👀"}
        last_event = client.ask(react)["ID"]

    network["up"] = True
    alice.page.evaluate(
        "() => { const button = document.getElementById('reconnect-now');"
        " if (!button.hidden) button.click(); }"
    )
    alice.wait_connected()
    expect(line(alice, "no typo here").locator(".edited-marker")).to_be_visible()
    expect(line(alice, "to be removed")).to_have_count(0)
    chip = line(alice, "react to me").locator(".reaction")
    expect(chip.locator(".reaction-count")).to_have_text("1")
    expect(chip.locator(".reaction-who")).to_have_text("bob")
    expect(line(alice, "an old line, out of the backlog")).to_have_count(0)

    # The next reconnect resumes after that last event.
    sockets[-1].close(code=4000, reason="again")
    alice.wait_connected()
    assert f"since={last_event}" in sockets[-1].url, sockets[-1].url
    bob.say("after all that")
    expect(alice.texts.last).to_have_text("after all that")


# -- keyboard and phone ----------------------------------------------------------------------------


def test_every_action_works_by_keyboard(server: ServerProcess, open_chat: OpenChat) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    bob = open_chat(server, "lobby", nick="bob")
    bob.say("keyboard users welcome")
    alice.say("mine to change")
    page = alice.page
    keys = page.keyboard

    # From the message list, ↑ reaches the lines; Tab their actions.
    alice.log.focus()
    keys.press("ArrowUp")
    expect(line(alice, "mine to change")).to_be_focused()
    keys.press("ArrowUp")
    theirs = line(alice, "keyboard users welcome")
    expect(theirs).to_be_focused()
    keys.press("Tab")
    bar = theirs.locator(".msg-actions")
    expect(bar.get_by_role("button", name="Add a reaction")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#emoji-common .emoji-choice").first).to_be_focused()
    keys.press("ArrowRight")
    keys.press("Enter")
    expect(line(bob, "keyboard users welcome").locator(".reaction-emoji")).to_have_text("❤️")
    expect(bar.get_by_role("button", name="Add a reaction")).to_be_focused()

    # Reply in a thread: the panel takes the focus; Esc brings it back.
    keys.press("Tab")
    keys.press("Tab")
    expect(bar.get_by_role("button", name="Reply in a thread")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#thread-input")).to_be_focused()
    keys.type("threaded by keyboard")
    keys.press("Enter")
    expect(line(bob, "keyboard users welcome").locator(".thread-summary")).to_have_text("1 reply")
    keys.press("Escape")
    expect(page.locator("#thread-panel")).to_be_hidden()
    expect(theirs).to_be_focused()

    # Edit one's line: ↓, Tab to Edit, type, Enter.
    keys.press("ArrowDown")
    mine = line(alice, "mine to change")
    expect(mine).to_be_focused()
    for _ in range(4):
        keys.press("Tab")
    expect(mine.locator(".msg-actions").get_by_role("button", name="Edit")).to_be_focused()
    keys.press("Enter")
    keys.press("End")
    keys.type(", changed")
    keys.press("Enter")
    expect(line(bob, "mine to change, changed")).to_have_count(1)

    # Delete it: the dialog starts on Cancel; Tab, Enter deletes.
    mine = line(alice, "mine to change, changed")
    mine.focus()
    for _ in range(5):
        keys.press("Tab")
    expect(mine.locator(".msg-actions").get_by_role("button", name="Delete")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#confirm-delete").get_by_role("button", name="Cancel")).to_be_focused()
    keys.press("Tab")
    keys.press("Enter")
    expect(bob.texts).to_have_text(["keyboard users welcome"])
    # The focus moved on to a line that is still there; Esc goes back to the message box.
    expect(theirs).to_be_focused()
    keys.press("Escape")
    expect(page.locator("#composer-input")).to_be_focused()


def test_phone_long_press_opens_the_actions_and_the_thread_covers_the_room(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    bob = open_chat(server, "lobby", nick="bob")
    alice = open_chat(
        server,
        "lobby",
        nick="alice",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",
    )
    bob.say("Tap and hold me")
    target = line(alice, "Tap and hold me")
    bar = target.locator(".msg-actions")
    expect(target).to_have_count(1)
    expect(bar).to_have_count(0)

    long_press(alice, target.locator(".text"))
    expect(bar).to_be_visible()
    alice.screenshot("conversation-phone-actions")
    bar.get_by_role("button", name="Add a reaction").tap()
    picker = alice.page.locator("#emoji-picker")
    expect(picker).to_be_visible()
    box = picker.bounding_box()
    assert box is not None
    assert box["width"] == PHONE["width"]  # a sheet across the screen
    alice.screenshot("conversation-phone-picker")
    picker.get_by_role("button", name="👍").tap()
    expect(line(bob, "Tap and hold me").locator(".reaction-emoji")).to_have_text("👍")
    # Tapping elsewhere closes the actions.
    alice.page.locator("#room-title").tap()
    expect(bar).to_be_hidden()

    long_press(alice, target.locator(".text"))
    bar.get_by_role("button", name="Reply in a thread").tap()
    panel = alice.page.locator("#thread-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box is not None
    assert box["width"] == PHONE["width"]
    alice.page.locator("#thread-input").tap()
    alice.page.locator("#thread-input").fill("from my phone")
    alice.page.locator("#thread-composer").get_by_role("button", name="Send").tap()
    expect(thread_texts(alice)).to_have_text(["Tap and hold me", "from my phone"])
    expect(line(bob, "Tap and hold me").locator(".thread-summary")).to_have_text("1 reply")
    alice.screenshot("conversation-phone-thread")
    alice.page.get_by_role("button", name="Close the thread").tap()
    expect(panel).to_be_hidden()

    long_press(alice, target.locator(".text"))
    bar.get_by_role("button", name="Reply").tap()
    expect(alice.page.locator("#reply-bar")).to_be_visible()
    alice.page.locator("#composer-input").fill("a phone reply")
    alice.page.locator("#send-button").tap()
    expect(line(bob, "a phone reply").locator(".quote")).to_contain_text("Tap and hold me")
    assert alice.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# -- the pure parts --------------------------------------------------------------------------------


def test_typing_labels_and_reaction_state(server: ServerProcess, open_chat: OpenChat) -> None:
    chat = open_chat(server, "lobby", nick="alice")
    labels = run_module(
        chat,
        "typing.js",
        """(m, lists) => lists.map((names) => {
            const p = document.createElement("p");
            p.append(...m.typingParts(names));
            return [p.textContent, p.querySelectorAll("bdi").length];
        })""",
        [[], ["ann"], ["ann", "<b>bo</b>"], ["ann", "bo", "cy"]],
    )
    assert labels == [
        ["", 0],
        ["ann is typing…", 1],
        ["ann and <b>bo</b> are typing…", 2],
        ["several people are typing…", 0],
    ]
    steps = run_module(
        chat,
        "entries.js",
        """(m) => {
            const entry = m.entryFrom({ID: 5, Author: "ann", Message: btoa("hi"),
                Reactions: [{Emoji: "👍", Count: 2, Names: ["ann", "bo"]}], Replies: 3}, 0);
            const show = () => [...entry.reactions].map(([e, names]) => `${e}:${names}`);
            const steps = [[show(), entry.replies, entry.asOf]];
            steps.push([m.react(entry, "👍", "ann", false), show()]);
            steps.push([m.react(entry, "🎉", "cy", false), show()]);
            steps.push([m.react(entry, "👍", "ann", true), show()]);
            steps.push([m.react(entry, "👍", "ann", true), show()]);
            steps.push([m.react(entry, "👍", "bo", true), show()]);
            return steps;
        }""",
    )
    assert steps == [
        [["👍:ann,bo"], 3, 5],
        [False, ["👍:ann,bo"]],
        [True, ["👍:ann,bo", "🎉:cy"]],
        [True, ["👍:bo", "🎉:cy"]],
        [False, ["👍:bo", "🎉:cy"]],
        [True, ["🎉:cy"]],
    ]
