"""Registration, login, logout and the caller's identity; the login budget per address."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from roomcast.auth import SESSION_COOKIE
from roomcast.ops.config import Settings
from roomcast.ops.serve import Node
from roomcast.wire import protocol

from .conftest import PASSWORD, error_of, sign_up


async def test_registering_signs_in_with_an_http_only_cookie(
    client: TestClient[Any, Any],
) -> None:
    reply = await client.post("/api/register", json={"name": "alice", "password": PASSWORD})
    assert reply.status == 201
    assert await reply.json() == {"name": "alice", "admin": False, "via": "session"}
    cookie = reply.cookies[SESSION_COOKIE]
    assert cookie["httponly"]
    assert (cookie["samesite"], cookie["path"]) == ("Lax", "/")
    again = await client.post("/api/register", json={"name": "alice", "password": PASSWORD})
    assert (await error_of(again))[:2] == (409, "nick_registered")


async def test_registration_checks_name_and_password(client: TestClient[Any, Any]) -> None:
    short = await client.post("/api/register", json={"name": "bob", "password": "x"})
    assert (await error_of(short))[:2] == (400, "weak_password")
    reserved = await client.post("/api/register", json={"name": "admin", "password": PASSWORD})
    assert (await error_of(reserved))[:2] == (400, "nick_reserved")


async def test_a_name_held_by_a_connection_needs_that_connections_session(
    client: TestClient[Any, Any], node: Node
) -> None:
    await node.hub.presence.claim_nick(protocol.nick_key("bob"), "w-elsewhere")
    for session in ("", "someone-elses"):
        reply = await client.post(
            "/api/register", json={"name": "bob", "password": PASSWORD, "session": session}
        )
        assert await error_of(reply) == (409, "nick_taken", "'bob' is in use right now")


async def test_login_logout_and_me(client: TestClient[Any, Any], node: Node) -> None:
    await sign_up(client, "alice")
    client.session.cookie_jar.clear()
    wrong = await client.post("/api/login", json={"name": "alice", "password": "nope-nope"})
    assert await error_of(wrong) == (401, "bad_credentials", "wrong name or password")
    right = await client.post("/api/login", json={"name": "alice", "password": PASSWORD})
    assert await right.json() == {"name": "alice", "admin": False, "via": "session"}
    secret = right.cookies[SESSION_COOKIE].value
    assert (await (await client.get("/api/me")).json())["via"] == "session"
    out = await client.post("/api/logout")
    assert out.status == 204
    assert out.cookies[SESSION_COOKIE].value == ""
    assert (await (await client.get("/api/me")).json())["via"] == "guest"
    # The session is gone on the server too, not only from this browser.
    client.session.cookie_jar.clear()
    replayed = await client.get("/api/me", headers={"Cookie": f"{SESSION_COOKIE}={secret}"})
    assert (await replayed.json())["via"] == "guest"


async def test_an_admin_name_signs_in_as_admin(client: TestClient[Any, Any]) -> None:
    await sign_up(client, "dora")
    assert (await (await client.get("/api/me")).json())["admin"] is True


@pytest.mark.parametrize("settings", [Settings(allow_registration=False)])
async def test_a_closed_server_takes_no_accounts(client: TestClient[Any, Any]) -> None:
    reply = await client.post("/api/register", json={"name": "alice", "password": PASSWORD})
    assert await error_of(reply) == (
        403,
        "registration_closed",
        "this server does not take new accounts",
    )


@pytest.mark.parametrize("settings", [Settings(rate_logins="0.001/2")])
async def test_attempts_beyond_the_budget_wait(client: TestClient[Any, Any]) -> None:
    for _ in range(2):
        reply = await client.post("/api/login", json={"name": "x", "password": "y"})
        assert reply.status == 401
    reply = await client.post("/api/login", json={"name": "x", "password": "y"})
    status, code, message = await error_of(reply)
    assert (status, code) == (429, "rate_limited")
    assert message.startswith("too many attempts; try again in ")
    assert int(reply.headers["Retry-After"]) >= 1
