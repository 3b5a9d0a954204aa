"""Connection state and resume: restarts, network drops and a tab duplicated with its session."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import WebSocket, WebSocketRoute, expect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat, post_message

pytestmark = pytest.mark.browser

# Backoff grows while the server is away; the wait for the comeback allows for a few rounds.
COMEBACK_MS = 30_000


def message_ids(chat: ChatPage) -> list[int]:
    return [int(i) for i in chat.messages.evaluate_all("els => els.map(e => e.dataset.id)")]


def test_server_restart_resumes_every_room_exactly_once(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = open_chat(server, "lobby", nick="alice")
    alice.type_line("/join ops")
    expect(alice.title).to_have_text("#ops")
    alice.room_button("lobby").click()
    for number in (1, 2, 3):
        alice.say(f"before {number}")
    post_message(server, "ops", "ops before")
    expect(alice.room_button("ops").locator(".unread")).to_have_text(re.compile("^1"))

    server.stop()
    expect(alice.connection).to_have_text(re.compile(r"Reconnecting"))
    expect(alice.page.locator("#connection")).not_to_have_attribute("data-state", "connected")
    alice.screenshot("reconnecting")

    # While the page's server is down, another server process on the same database takes
    # messages for both rooms (as another node of a cluster would): the page cannot see them.
    standby = ServerProcess(server.data_dir, server.args, server.env).start()
    try:
        for number in (1, 2, 3):
            post_message(standby, "lobby", f"meanwhile {number}", author="bob")
        post_message(standby, "ops", "ops meanwhile 1", author="bob")
        post_message(standby, "ops", "ops meanwhile 2", author="bob")
    finally:
        standby.stop()
    server.start()

    expect(alice.connection).to_have_text("Connected", timeout=COMEBACK_MS)
    expected = ["before 1", "before 2", "before 3", "meanwhile 1", "meanwhile 2", "meanwhile 3"]
    expect(alice.texts).to_have_text(expected)
    alice.say("after")
    expect(alice.texts).to_have_text([*expected, "after"])
    ids = message_ids(alice)
    assert ids == sorted(set(ids)) == list(range(1, 8))

    # The second room was resumed by a Join with Since: the two it missed, nothing twice.
    expect(alice.room_button("ops").locator(".unread")).to_have_text(re.compile("^3"))
    alice.room_button("ops").click()
    expect(alice.texts).to_have_text(["ops before", "ops meanwhile 1", "ops meanwhile 2"])
    # Same session, same nickname; the user list came back.
    expect(alice.people).to_have_text(["alice"])
    expect(alice.page.locator("#nick-input")).to_have_value("alice")


def test_network_drop_resumes_without_gap_or_duplicate(
    server: ServerProcess, open_chat: OpenChat
) -> None:
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
    bob.say("one")
    expect(alice.texts).to_have_text(["one"])

    network["up"] = False
    sockets[-1].close(code=4000, reason="cable pulled")
    expect(alice.connection).to_have_text(re.compile(r"Reconnecting"))
    # A line typed while offline waits, and goes out once the page is back.
    alice.type_line("typed while offline")
    expect(alice.view.locator("li.pending")).to_have_text(re.compile("sending"))
    for text in ("two", "three"):
        bob.say(text)

    network["up"] = True
    # "Reconnect now" skips the backoff wait; on a slow machine the page may already be
    # trying again by itself (the button is hidden then), so press it only if it is there.
    alice.page.evaluate(
        "() => { const button = document.getElementById('reconnect-now');"
        " if (!button.hidden) button.click(); }"
    )
    alice.wait_connected()
    expected = ["one", "two", "three", "typed while offline"]
    expect(alice.texts).to_have_text(expected)
    expect(bob.texts).to_have_text(expected)
    expect(alice.view.locator("li.pending")).to_have_count(0)
    bob.say("four")
    expect(alice.texts).to_have_text([*expected, "four"])
    assert message_ids(alice) == [1, 2, 3, 4, 5]
    expect(bob.people).to_have_text(["alice", "bob"])


def test_duplicated_tab_gets_its_own_session_without_a_reconnect_fight(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    sockets: dict[str, int] = {"alice": 0, "twin": 0}

    def count(who: str) -> Callable[[WebSocket], None]:
        return lambda ws: sockets.__setitem__(who, sockets[who] + 1)

    alice = open_chat(server, "lobby", nick="alice", connect=False)
    alice.page.on("websocket", count("alice"))
    alice.open("lobby")
    session = alice.page.evaluate("sessionStorage.getItem('roomcast.session')")
    assert session

    # Duplicating a tab copies its sessionStorage, session token included.
    twin = open_chat(server, "lobby", connect=False)
    twin.page.context.add_init_script(
        f"sessionStorage.setItem('roomcast.session', {json.dumps(session)});"
        "sessionStorage.setItem('roomcast.nick', 'alice');"
    )
    twin.page.on("websocket", count("twin"))
    twin.open("lobby")

    # The server hands the session to the newer tab (close code 4001); the older one says so
    # and carries on with a session of its own instead of taking it back.
    expect(alice.alert).to_contain_text("another tab")
    alice.wait_connected()
    expect(twin.people).to_have_count(2)
    # The name went with the session; the older tab is a guest now, with no error to show.
    expect(alice.page.locator("#nick-input")).to_have_value(re.compile(r"^guest-"))
    expect(twin.page.locator("#nick-input")).to_have_value("alice")
    expect(alice.alert).not_to_contain_text("taken")
    assert alice.page.evaluate("sessionStorage.getItem('roomcast.session')") != session
    assert twin.page.evaluate("sessionStorage.getItem('roomcast.session')") == session

    twin.say("from the new tab")
    expect(alice.texts).to_have_text(["from the new tab"])
    alice.say("from the old tab")
    expect(twin.texts).to_have_text(["from the new tab", "from the old tab"])
    # One reconnect of the older tab, then calm: no tug of war over the session.
    twin.page.wait_for_timeout(1000)
    assert sockets == {"alice": 2, "twin": 1}
    alice.wait_connected()
    twin.wait_connected()
