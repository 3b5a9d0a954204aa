"""Creating rooms, reading their access, setting topics and roles."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from .conftest import bearer, error_of, sign_up


async def test_an_account_creates_a_room_it_owns(client: TestClient[Any, Any]) -> None:
    await sign_up(client, "alice")
    created = await client.post("/api/rooms", json={"room": "den", "topic": " cosy "})
    assert created.status == 201
    expected = {
        "name": "den",
        "topic": "cosy",
        "private": False,
        "owner": "alice",
        "moderators": [],
        "members": [],
        "role": "owner",
    }
    assert await created.json() == expected
    assert await (await client.get("/api/rooms/den/access")).json() == expected
    again = await client.post("/api/rooms", json={"room": "den"})
    assert (await error_of(again))[:2] == (409, "room_exists")


async def test_room_creation_refusals(client: TestClient[Any, Any]) -> None:
    reply = await client.post("/api/rooms", json={"room": "den"}, headers=bearer())
    assert await error_of(reply) == (
        403,
        "login_required",
        "rooms are created by accounts, not the API key",
    )
    await sign_up(client, "alice")
    for body, code in (
        ({"room": "bad name"}, "room_invalid"),
        ({"room": "x" * 65}, "room_invalid"),
        ({"room": "den", "topic": "t" * 201}, "too_long"),
        ({"room": "den", "private": 1}, "bad_field"),
    ):
        assert (await error_of(await client.post("/api/rooms", json=body)))[:2] == (400, code)


async def test_topics_and_roles(client: TestClient[Any, Any]) -> None:
    await sign_up(client, "bob")
    client.session.cookie_jar.clear()
    await sign_up(client, "alice")
    await client.post("/api/rooms", json={"room": "den", "private": True})
    topic = await client.put("/api/rooms/den/topic", json={"topic": "news"})
    assert (await topic.json())["topic"] == "news"
    role = await client.put("/api/rooms/den/roles/bob", json={"role": "moderator"})
    assert (await role.json())["moderators"] == ["bob"]
    bad = await client.put("/api/rooms/den/roles/bob", json={"role": "king"})
    assert await error_of(bad) == (
        400,
        "bad_field",
        "role must be one of moderator, member, none",
    )
    client.session.cookie_jar.clear()
    hidden = await client.get("/api/rooms/den/access")
    assert (await error_of(hidden))[:2] == (404, "not_found")
