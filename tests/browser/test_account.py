"""Sign-up, log-in and log-out screens in a real Chromium, against a live server."""

from __future__ import annotations

import json
import re
import secrets
import urllib.request

import pytest
from playwright.sync_api import expect

from conftest import ServerProcess

from .conftest import OpenChat, post_message

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def test_sign_up_log_out_and_log_in(server: ServerProcess, open_chat: OpenChat) -> None:
    chat = open_chat(server, "lobby")
    page = chat.page
    name = "ada" + secrets.token_hex(3).replace("1", "x").replace("0", "y")
    me = page.locator("#people .me .person-name")
    expect(me).to_have_text(re.compile(r"^guest-"))
    form = page.locator("#account-form")
    expect(form).to_be_visible()

    # Sign up: the page is signed in at once and talks under the account's name.
    page.fill("#account-name", name)
    page.fill("#account-password", PASSWORD)
    page.click("#sign-up")
    expect(page.locator("#account-user")).to_have_text(name)
    expect(form).to_be_hidden()
    expect(me).to_have_text(name)
    chat.wait_connected()
    # The session cookie is HttpOnly: no script on the page can read it.
    assert "roomcast_session" not in page.evaluate("document.cookie")
    chat.screenshot("account-signed-in")

    # A reload keeps the login (the cookie goes with the WebSocket upgrade too).
    page.reload()
    chat.wait_connected()
    expect(page.locator("#account-user")).to_have_text(name)
    expect(me).to_have_text(name)

    # Log out: back to a guest, and the name stays the account's.
    page.click("#log-out")
    expect(form).to_be_visible()
    expect(me).to_have_text(re.compile(r"^guest-"))
    chat.wait_connected()

    # A wrong password is refused with a message; the right one signs in again.
    page.fill("#account-name", name)
    page.fill("#account-password", "not the password")
    page.click("#log-in")
    expect(page.locator("#account-error")).to_contain_text("Wrong name or password")
    page.fill("#account-password", PASSWORD)
    page.click("#log-in")
    expect(page.locator("#account-user")).to_have_text(name)
    expect(me).to_have_text(name)
    chat.screenshot("account-logged-in-again")


def test_sign_up_refuses_a_taken_name(server: ServerProcess, open_chat: OpenChat) -> None:
    first = open_chat(server, "lobby")
    name = "bea" + secrets.token_hex(3).replace("1", "x").replace("0", "y")
    first.page.fill("#account-name", name)
    first.page.fill("#account-password", PASSWORD)
    first.page.click("#sign-up")
    expect(first.page.locator("#account-user")).to_have_text(name)
    second = open_chat(server, "lobby")
    second.page.fill("#account-name", name.upper())
    second.page.fill("#account-password", PASSWORD)
    second.page.click("#sign-up")
    expect(second.page.locator("#account-error")).not_to_be_empty()
    expect(second.page.locator("#account-form")).to_be_visible()


def _admin_call(server: ServerProcess, method: str, path: str, body: object = None) -> int:
    request = urllib.request.Request(
        f"{server.http_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_deleted_messages_vanish_and_a_kick_closes_the_room(
    server: ServerProcess, open_chat: OpenChat
) -> None:
    room = "mod" + secrets.token_hex(3)
    chat = open_chat(server, room)
    page = chat.page
    keep = post_message(server, room, "stays")
    gone = post_message(server, room, "goes away")
    expect(chat.texts).to_have_text(["stays", "goes away"])
    assert _admin_call(server, "DELETE", f"/api/rooms/{room}/messages/{gone}") == 204
    expect(chat.texts).to_have_text(["stays"])
    assert keep < gone
    nick = page.locator("#people .me .person-name").inner_text()
    body = {"action": "kick", "name": nick, "reason": "testing"}
    assert _admin_call(server, "POST", f"/api/rooms/{room}/moderation", body) == 200
    expect(chat.alert).to_contain_text("kicked you from")
    expect(chat.room_button(room)).to_have_count(0)
