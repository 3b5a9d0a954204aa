"""Rooms the server refuses, in a real Chromium: a banned, kicked or private first room ends in
another room with the reason shown once (D1), a failed `/join` stays where it was (D7), kicks
and bans are told apart in local time (D10), and repeated refusals share one alert that the
nickname box agrees with (D12).
"""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import ServerProcess

from .conftest import ChatPage, OpenChat
from .test_people import account_name, person

pytestmark = pytest.mark.browser

# Counts the WebSocket connections the page opens.
COUNT_SOCKETS = """(() => {
    window.__sockets = 0;
    const Real = window.WebSocket;
    window.WebSocket = class extends Real {
        constructor(...args) {
            super(...args);
            window.__sockets += 1;
        }
    };
})();"""

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def admin_call(server: ServerProcess, method: str, path: str, body: object = None) -> object:
    """A REST call with the server's admin API key."""
    request = urllib.request.Request(
        f"{server.http_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def create_room(chat: ChatPage, room: str, *, private: bool, topic: str = "") -> None:
    """Create ``room`` as the page's account (REST)."""
    body = {"room": room, "private": private, "topic": topic}
    reply = chat.page.context.request.post(chat.server.http_url + "/api/rooms", data=body)
    assert reply.status == 201, reply.text()


def alert_lines(chat: ChatPage) -> list[str]:
    return [str(t) for t in chat.page.locator("#alert .alert-line").all_inner_texts()]


def settle_connected(chat: ChatPage, sockets: int) -> None:
    """Connected, and still so with no new socket a few seconds later (no reconnect loop)."""
    chat.wait_connected()
    chat.page.wait_for_timeout(3000)
    chat.wait_connected()
    assert int(chat.page.evaluate("window.__sockets")) <= sockets


def test_a_private_first_room_ends_in_the_default_room_with_one_alert(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = person(open_chat, server, account_name("alice"))
    create_room(alice, "den", private=True)
    guest = open_chat(server, connect=False)
    guest.page.add_init_script(COUNT_SOCKETS)
    guest.page.goto(f"{server.http_url}/#/room/den")
    expect(guest.title).to_have_text("#default")
    settle_connected(guest, 2)
    lines = alert_lines(guest)
    assert len(lines) == 1, lines
    assert "private" in lines[0], lines
    expect(guest.room_button("den")).to_have_count(0)


def test_the_owner_logging_out_in_her_private_room_lands_in_another_room(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = person(open_chat, server, account_name("alice"), init=(COUNT_SOCKETS,))
    create_room(alice, "den", private=True)
    alice.type_line("/join den")
    expect(alice.title).to_have_text("#den")
    alice.page.reload()
    alice.wait_connected()
    expect(alice.title).to_have_text("#den")
    alice.page.click("#log-out")
    expect(alice.title).to_have_text("#lobby")
    # The reload's socket, the log-out's, the refused one and the one that lands in #lobby.
    settle_connected(alice, 3)
    lines = alert_lines(alice)
    assert len(lines) == 1, lines
    assert "private" in lines[0], lines
    expect(alice.page.locator("#people .me .person-name")).to_have_text(re.compile("^guest-"))


def test_a_banned_first_room_names_the_ban_once_in_local_time(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    name = account_name("carol")
    carol = person(open_chat, server, name, "vault", init=(COUNT_SOCKETS,))
    body = {"action": "ban", "name": name, "duration": 7200}
    admin_call(server, "POST", "/api/rooms/vault/moderation", body)
    expect(carol.alert).to_contain_text("banned you from #vault until")
    # A new device: the URL's room is the banned one, and the person's rooms list it too.
    other = person(open_chat, server, name, "vault", new=False, init=(COUNT_SOCKETS,))
    expect(other.title).to_have_text("#default")
    settle_connected(other, 2)
    lines = alert_lines(other)
    assert len(lines) == 1, lines
    assert "banned" in lines[0], lines
    assert not ISO.search(lines[0]), lines


def test_a_kick_is_called_a_kick_and_the_rejoin_says_when(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    name = account_name("dave")
    dave = person(open_chat, server, name, "lobby")
    dave.type_line("/join ops")
    expect(dave.title).to_have_text("#ops")
    body = {"action": "kick", "name": name, "reason": "spam"}
    admin_call(server, "POST", "/api/rooms/ops/moderation", body)
    expect(dave.alert).to_contain_text("kicked you from #ops: spam. You can come back at")
    expect(dave.title).to_have_text("#lobby")
    dave.type_line("/join ops")
    expect(dave.alert).to_contain_text("kicked from 'ops' and may rejoin at")
    text = " ".join(alert_lines(dave))
    assert "banned" not in text, text
    assert not ISO.search(text), text
    assert len(alert_lines(dave)) == 1
    expect(dave.title).to_have_text("#lobby")


def test_a_failed_join_stays_in_the_room_on_screen(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    alice = person(open_chat, server, account_name("alice"))
    create_room(alice, "secret", private=True)
    bob = open_chat(server, "lobby")
    bob.type_line("/join ops")
    expect(bob.title).to_have_text("#ops")
    bob.type_line("/join secret")
    expect(bob.alert).to_contain_text("private")
    expect(bob.title).to_have_text("#ops")
    expect(bob.room_button("secret")).to_have_count(0)


def test_refused_nicknames_share_one_alert_and_the_box_keeps_the_real_one(
    server_factory: Any, open_chat: OpenChat
) -> None:
    server = server_factory(env={"ROOMCAST_RATE_NICKS": "0.5/1"})
    chat = open_chat(server, "lobby", nick="erin")
    for number in range(7):
        chat.type_line(f"/nick erin{number}")
    expect(chat.alert).to_contain_text(re.compile("too many|try again", re.IGNORECASE))
    chat.page.wait_for_timeout(500)
    assert len(alert_lines(chat)) == 1, alert_lines(chat)
    real = chat.page.locator("#people .me .person-name").inner_text()
    expect(chat.page.locator("#nick-input")).to_have_value(real)
