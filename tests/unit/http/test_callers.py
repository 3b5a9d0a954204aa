"""The API key of the publishing endpoints, and who a request comes from (and from where)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from .conftest import bearer, error_of, sign_up


async def test_publishing_needs_the_api_key_and_names_the_scheme(
    client: TestClient[Any, Any],
) -> None:
    for headers in ({}, bearer("wrong"), {"Authorization": "Basic x"}):
        reply = await client.post("/api/broadcast", json={"text": "x"}, headers=headers)
        assert await error_of(reply) == (
            401,
            "unauthorized",
            "send Authorization: Bearer <api key>",
        )
        assert reply.headers["WWW-Authenticate"] == 'Bearer realm="roomcast"'
    reply = await client.post("/api/broadcast", json={"text": "x"}, headers=bearer())
    assert reply.status == 201


async def test_the_caller_is_a_guest_a_session_or_the_api_key(
    client: TestClient[Any, Any],
) -> None:
    assert await (await client.get("/api/me")).json() == {
        "name": None,
        "admin": False,
        "via": "guest",
    }
    assert await (await client.get("/api/me", headers=bearer())).json() == {
        "name": None,
        "admin": True,
        "via": "api_key",
    }
    await sign_up(client, "alice")
    assert await (await client.get("/api/me")).json() == {
        "name": "alice",
        "admin": False,
        "via": "session",
    }
    status, code, _ = await error_of(await client.get("/api/me", headers=bearer("nope")))
    assert (status, code) == (401, "bad_token")


async def test_a_session_write_from_another_site_is_refused(
    client: TestClient[Any, Any],
) -> None:
    await sign_up(client, "alice")
    reply = await client.post("/api/tokens", json={}, headers={"Origin": "https://evil.example"})
    assert await error_of(reply) == (
        403,
        "origin_not_allowed",
        "this page's origin may not act here",
    )
    own = f"http://{client.host}:{client.port}"
    assert (await client.post("/api/tokens", json={}, headers={"Origin": own})).status == 201
    # Reading is not a write: no origin check.
    assert (
        await client.get("/api/tokens", headers={"Origin": "https://evil.example"})
    ).status == 200


async def test_guests_are_asked_to_sign_in(client: TestClient[Any, Any]) -> None:
    assert await error_of(await client.get("/api/tokens")) == (
        401,
        "login_required",
        "log in, or send an API token",
    )
