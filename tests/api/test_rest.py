"""The REST API against a live server, every answer checked against its own OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import ServerProcess
from helpers import Client, unb64

from .support import Reply, auth, http, validators


def check(openapi: dict[str, Any], reply: Reply, status: int, schema: str) -> Any:
    """Assert the status and that the body matches ``schema`` of the OpenAPI document."""
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    validators(openapi, openapi=True)(schema).validate(body)
    return body


def check_error(openapi: dict[str, Any], reply: Reply, status: int, code: str) -> None:
    body = check(openapi, reply, status, "Error")
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def post(server: ServerProcess, room: str, text: str, **extra: str) -> Reply:
    return await http(
        "POST",
        f"{server.http_url}/api/rooms/{room}/messages",
        json_body={"text": text, **extra},
        headers=auth(),
    )


async def test_rooms_details_and_members(
    api_server: ServerProcess, openapi: dict[str, Any]
) -> None:
    base = api_server.http_url
    async with (
        await Client.connect(api_server.ws_url, room="lobby", nick="alice") as alice,
        await Client.connect(api_server.ws_url, room="lobby", nick="Bob") as bob,
    ):
        await bob.expect("userlist", lambda f: len(f["Users"]) == 2)
        assert (await post(api_server, "archive", "kept")).status == 201
        rooms = check(openapi, await http("GET", f"{base}/api/rooms"), 200, "RoomList")
        by_name = {r["name"]: r for r in rooms["rooms"]}
        assert by_name["lobby"] == {"name": "lobby", "topic": "", "members": 2, "last_id": 0}
        assert by_name["archive"] == {"name": "archive", "topic": "", "members": 0, "last_id": 1}

        room = check(openapi, await http("GET", f"{base}/api/rooms/archive"), 200, "Room")
        assert room["last_id"] == 1
        members = check(
            openapi, await http("GET", f"{base}/api/rooms/lobby/members"), 200, "MemberList"
        )
        assert members == {"room": "lobby", "members": [{"name": "alice"}, {"name": "Bob"}]}
        await alice.close()
        await bob.expect("userlist", lambda f: len(f["Users"]) == 1)
        members = (await http("GET", f"{base}/api/rooms/lobby/members")).json()
        assert members["members"] == [{"name": "Bob"}]


async def test_unknown_rooms_paths_and_methods(
    api_server: ServerProcess, openapi: dict[str, Any]
) -> None:
    base = api_server.http_url
    for path in ("/api/rooms/nowhere", "/api/rooms/nowhere/members", "/api/rooms/nowhere/messages"):
        check_error(openapi, await http("GET", base + path), 404, "room_not_found")
    check_error(openapi, await http("GET", f"{base}/api/nothing"), 404, "not_found")
    check_error(openapi, await http("GET", f"{base}/api/rooms/bad%20name"), 400, "room_invalid")
    reply = await http("DELETE", f"{base}/api/rooms")
    check_error(openapi, reply, 405, "method_not_allowed")
    assert reply.headers["Allow"] == "GET,POST"
    # The metrics count what the API refused.
    metrics = (await http("GET", f"{base}/metrics")).body.decode()
    assert 'roomcast_http_errors_total{status="404"} 4' in metrics
    assert 'roomcast_http_errors_total{status="405"} 1' in metrics


async def test_history_cursors_are_stable_while_messages_arrive(
    api_server: ServerProcess, openapi: dict[str, Any]
) -> None:
    base = f"{api_server.http_url}/api/rooms/pages/messages"
    for i in range(1, 8):
        assert (await post(api_server, "pages", f"m{i}")).status == 201
    first = check(openapi, await http("GET", f"{base}?limit=3"), 200, "MessagePage")
    assert [m["id"] for m in first["messages"]] == [7, 6, 5]
    assert [m["text"] for m in first["messages"]] == ["m7", "m6", "m5"]
    # New messages do not shift the older pages: the cursor is an ID, not an offset.
    for i in range(8, 11):
        await post(api_server, "pages", f"m{i}")
    second = check(
        openapi,
        await http("GET", f"{base}?limit=3&before={first['next_before']}"),
        200,
        "MessagePage",
    )
    assert [m["id"] for m in second["messages"]] == [4, 3, 2]
    last = (await http("GET", f"{base}?limit=3&before={second['next_before']}")).json()
    assert [m["id"] for m in last["messages"]] == [1]
    assert last["next_before"] is None
    # A cursor given twice is refused rather than guessed at.
    reply = await http("GET", f"{base}?before=5&before=3")
    check_error(openapi, reply, 400, "bad_param")
    reply = await http("GET", f"{base}?limit=%C2%B2")
    check_error(openapi, reply, 400, "bad_param")


async def test_post_is_delivered_and_matches_the_schema(
    api_server: ServerProcess, openapi: dict[str, Any]
) -> None:
    async with await Client.connect(api_server.ws_url, room="news") as listener:
        await listener.expect("Joined")
        body = check(
            openapi, await post(api_server, "news", "extra!", author="Newsbot"), 201, "Message"
        )
        assert (body["room"], body["author"], body["text"]) == ("news", "Newsbot", "extra!")
        chat = await listener.expect("Chat")
        assert (chat["ID"], unb64(chat["Message"]), chat["Author"]) == (
            body["id"],
            "extra!",
            "Newsbot",
        )
        reply = await http(
            "POST",
            f"{api_server.http_url}/api/broadcast",
            json_body={"text": "to everyone"},
            headers=auth(),
        )
        result = check(openapi, reply, 201, "BroadcastResult")
        assert "news" in {m["room"] for m in result["messages"]}
        assert unb64((await listener.expect("Chat"))["Message"]) == "to everyone"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "hi", "colour": "red"}, "unknown_field"),
        ({"author": "x"}, "missing_field"),
        ({"text": ["hi"]}, "bad_field"),
        ({"text": "lone \ud800 surrogate"}, "bad_text"),
    ],
)
async def test_bad_bodies(
    api_server: ServerProcess, openapi: dict[str, Any], body: dict[str, Any], code: str
) -> None:
    reply = await http(
        "POST", f"{api_server.http_url}/api/rooms/r/messages", json_body=body, headers=auth()
    )
    check_error(openapi, reply, 400, code)
    # The store is still writing (a lone surrogate once killed the SQLite writer thread).
    assert (await post(api_server, "r", "still fine")).status == 201


async def test_unauthorised_writes_name_the_scheme(
    api_server: ServerProcess, openapi: dict[str, Any]
) -> None:
    for path in ("/api/rooms/r/messages", "/api/broadcast"):
        reply = await http(
            "POST",
            api_server.http_url + path,
            json_body={"text": "x"},
            headers={"Authorization": "Bearer nope"},
        )
        check_error(openapi, reply, 401, "unauthorized")
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")


async def test_health_readiness_and_documents(
    api_server: ServerProcess, openapi: dict[str, Any]
) -> None:
    base = api_server.http_url
    check(openapi, await http("GET", f"{base}/healthz"), 200, "Health")
    check(openapi, await http("GET", f"{base}/readyz"), 200, "Ready")
    assert openapi["openapi"].startswith("3.1")
    documented = {(path, method) for path, item in openapi["paths"].items() for method in item}
    assert ("/api/rooms/{room}/messages", "post") in documented
    assert ("/metrics", "get") in documented
    assert openapi["components"]["schemas"]["NewMessage"]["properties"]["text"]["maxLength"] == 4000
