"""A system message to every room the node knows, with the API key."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast.ops.serve import Node

from .conftest import bearer, error_of


async def test_a_broadcast_reaches_every_room(client: TestClient[Any, Any], node: Node) -> None:
    await node.hub.post("one", "x")
    await node.hub.presence.join("two", "w1", "alice")
    reply = await client.post("/api/broadcast", json={"text": "to all"}, headers=bearer())
    assert reply.status == 201
    messages = (await reply.json())["messages"]
    assert [(m["room"], m["text"], m["author"]) for m in messages] == [
        ("one", "to all", "system"),
        ("two", "to all", "system"),
    ]


async def test_a_bad_broadcast_is_refused(client: TestClient[Any, Any], node: Node) -> None:
    await node.hub.post("one", "x")
    reply = await client.post("/api/broadcast", json={"text": ""}, headers=bearer())
    assert (await error_of(reply))[:2] == (400, "empty_message")
    reply = await client.post("/api/broadcast", json={"text": "x", "to": "y"}, headers=bearer())
    assert await error_of(reply) == (400, "unknown_field", "unknown field(s): to")
