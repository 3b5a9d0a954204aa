"""The server admin page in a real Chromium: the login form for a non-admin, live numbers that
follow the server, disabling an account and deleting a room."""

from __future__ import annotations

import json
import secrets
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from conftest import ServerProcess

from .conftest import OpenChat, post_message

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _register(server: ServerProcess, name: str) -> None:
    request = urllib.request.Request(
        f"{server.http_url}/api/register",
        data=json.dumps({"name": name, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 201


def _name(prefix: str) -> str:
    return prefix + "".join(secrets.choice("abcdefghjknpqrstuvwxyz") for _ in range(6))


def test_an_admin_watches_disables_and_deletes(
    server_factory: Any, browser: Browser, open_chat: OpenChat
) -> None:
    root, victim = _name("root"), _name("victim")
    server: ServerProcess = server_factory("--admins", root, "--userlist-interval", "0.02")
    _register(server, root)
    _register(server, victim)
    post_message(server, "doomed", "soon gone")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        page.goto(f"{server.http_url}/admin")
        # Not signed in: the login form, which a wrong password does not get past.
        expect(page.locator("#login")).to_be_visible()
        expect(page.locator("#admin")).to_be_hidden()
        page.fill("input[name=name]", victim)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-why")).to_contain_text("not one")
        page.fill("input[name=name]", root)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#admin")).to_be_visible()
        expect(page.locator("#who")).to_have_text(f"signed in as {root}")
        expect(page.locator("#t-connections")).to_have_text("0")
        expect(page.locator("#nodes tbody tr")).to_have_count(1)
        expect(page.locator("#nodes tbody tr td").nth(7)).to_contain_text("ok,")

        # Someone opens the chat: the numbers follow within a poll or two.
        chat = open_chat(server, "watched", nick="watcher")
        chat.wait_connected()
        expect(page.locator("#t-connections")).to_have_text("1")
        expect(page.locator("#t-members")).to_have_text("1")
        watched = page.locator('#rooms tr[data-room="watched"] td').nth(1)
        chat.say("hello")
        expect(watched).to_have_text("1")
        expect(page.locator("#t-rate")).not_to_have_text("0.0")

        # Disable an account: it cannot sign in any more, and the audit log says so.
        row = page.locator(f'#accounts tr[data-account="{victim}"]')
        row.get_by_role("button", name="Disable").click()
        expect(row.locator("td").nth(2)).to_have_text("disabled")
        expect(row.get_by_role("button", name="Enable")).to_be_visible()
        audit = page.locator("#audit tbody tr").first
        expect(audit).to_contain_text("disable")
        expect(audit).to_contain_text(victim)

        # Delete a room: a second click confirms.
        doomed = page.locator('#rooms tr[data-room="doomed"]')
        expect(doomed).to_have_count(1)
        doomed.get_by_role("button", name="Delete").click()
        doomed.get_by_role("button", name="Confirm delete").click()
        expect(doomed).to_have_count(0)
        expect(page.locator("#audit tbody tr").first).to_contain_text("delete_room")

        # The audit log's filters.
        page.fill("#audit-filters input[name=action]", "disable")
        page.click("#audit-filters button[type=submit]")
        expect(page.locator("#audit tbody tr")).to_have_count(1)
        assert errors == []
    finally:
        context.close()
