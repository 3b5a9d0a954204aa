"""History pages cut by message ID, and posting into a room with the API key."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast.ops.serve import Node

from .conftest import bearer, error_of


async def post(client: TestClient[Any, Any], room: str, body: Any) -> Any:
    return await client.post(f"/api/rooms/{room}/messages", json=body, headers=bearer())


async def test_a_posted_message_is_stored_and_answered(
    client: TestClient[Any, Any], node: Node
) -> None:
    reply = await post(client, "news", {"text": "extra!", "author": "Newsbot"})
    assert reply.status == 201
    body = await reply.json()
    assert {k: body[k] for k in ("id", "room", "author", "text", "wsid")} == {
        "id": 1,
        "room": "news",
        "author": "Newsbot",
        "text": "extra!",
        "wsid": "system",
    }
    assert body["time"].endswith("Z")
    assert (await post(client, "news", {"text": "plain"})).status == 201
    assert [m.author for m in await node.hub.store.page("news", None, 10)] == [
        "Newsbot",
        "system",
    ]


async def test_domain_refusals_of_a_post_are_400s(client: TestClient[Any, Any]) -> None:
    status, code, _ = await error_of(await post(client, "r", {"text": "   "}))
    assert (status, code) == (400, "empty_message")
    status, code, _ = await error_of(await post(client, "r", {"text": "x", "author": "owner"}))
    assert (status, code) == (400, "nick_reserved")
    status, code, _ = await error_of(await post(client, "r", {"text": "a \ud800"}))
    assert (status, code) == (400, "bad_text")


async def test_pages_follow_next_before_to_the_oldest(
    client: TestClient[Any, Any], node: Node
) -> None:
    for i in range(1, 6):
        await node.hub.post("pages", f"m{i}")
    base = "/api/rooms/pages/messages"
    first = await (await client.get(f"{base}?limit=2")).json()
    assert [m["id"] for m in first["messages"]] == [5, 4]
    second = await (await client.get(f"{base}?limit=2&before={first['next_before']}")).json()
    assert [m["id"] for m in second["messages"]] == [3, 2]
    last = await (await client.get(f"{base}?limit=2&before={second['next_before']}")).json()
    assert ([m["id"] for m in last["messages"]], last["next_before"]) == ([1], None)
    everything = await (await client.get(base)).json()
    assert len(everything["messages"]) == 5


async def test_bad_cursors_and_unknown_rooms(client: TestClient[Any, Any], node: Node) -> None:
    await node.hub.post("pages", "m")
    status, code, _ = await error_of(await client.get("/api/rooms/pages/messages?limit=201"))
    assert (status, code) == (400, "bad_param")
    status, code, _ = await error_of(await client.get("/api/rooms/none/messages"))
    assert (status, code) == (404, "room_not_found")
