"""Rooms and their members over REST; private rooms hidden from everyone but their members."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast.ops.serve import Node

from .conftest import bearer, error_of, sign_up


async def test_rooms_with_history_or_members_are_listed_by_name(
    client: TestClient[Any, Any], node: Node
) -> None:
    await node.hub.post("b-room", "kept")
    await node.hub.presence.join("A-room", "w1", "alice")
    await node.hub.presence.join("A-room", "w2", "Bob")
    rooms = (await (await client.get("/api/rooms")).json())["rooms"]
    assert rooms == [
        {"name": "A-room", "topic": "", "members": 2, "last_id": 0},
        {"name": "b-room", "topic": "", "members": 0, "last_id": 1},
    ]
    assert await (await client.get("/api/rooms/b-room")).json() == rooms[1]
    members = await (await client.get("/api/rooms/A-room/members")).json()
    assert members == {"room": "A-room", "members": [{"name": "alice"}, {"name": "Bob"}]}


async def test_unknown_and_invalid_rooms(client: TestClient[Any, Any]) -> None:
    for path in ("/api/rooms/nowhere", "/api/rooms/nowhere/members"):
        assert await error_of(await client.get(path)) == (
            404,
            "room_not_found",
            "no room 'nowhere'",
        )
    status, code, _ = await error_of(await client.get("/api/rooms/bad%20name"))
    assert (status, code) == (400, "room_invalid")


async def test_a_private_room_shows_only_to_its_members(
    client: TestClient[Any, Any], node: Node
) -> None:
    await sign_up(client, "carol")
    created = await client.post("/api/rooms", json={"room": "secret", "private": True})
    assert created.status == 201
    await node.hub.post("secret", "hush")
    assert [r["name"] for r in (await (await client.get("/api/rooms")).json())["rooms"]] == [
        "secret"
    ]
    client.session.cookie_jar.clear()
    assert (await (await client.get("/api/rooms")).json())["rooms"] == []
    assert (await error_of(await client.get("/api/rooms/secret")))[:2] == (404, "room_not_found")
    # An admin (the API key) sees it.
    assert (await client.get("/api/rooms/secret", headers=bearer())).status == 200
