"""The REST API: rooms, message pages, authorised posts, and JSON errors for bad requests."""

from __future__ import annotations

import urllib.parse

import pytest

from conftest import ServerProcess
from helpers import unb64

from .support import ChatClient, HttpResult, Names, http

MESSAGE_KEYS = {
    "id",
    "room",
    "author",
    "text",
    "wsid",
    "time",
    "reply_to",
    "thread",
    "edited",
    "reactions",
    "replies",
    "attachments",
}


def auth(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key}"}


async def stored_ids(server: ServerProcess, room: str) -> list[int]:
    """IDs of the newest stored messages of ``room``; none when the room does not exist."""
    result = await http("GET", f"{server.http_url}/api/rooms/{room}/messages")
    if result.status == 404:
        assert_json_error(result, 404, "room_not_found")
        return []
    assert result.status == 200, result.body
    return [m["id"] for m in result.json()["messages"]]


def assert_json_error(result: HttpResult, status: int, code: str | None = None) -> None:
    assert result.status == status, result.body
    assert result.headers["Content-Type"].startswith("application/json")
    error = result.json()["error"]
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code


async def test_rooms_lists_members_and_last_id(live: ServerProcess, names: Names) -> None:
    busy, empty_now = names.room("busy"), names.room("was-busy")
    async with await ChatClient.open(live.ws_url, room=empty_now) as writer:
        await writer.say("one")
        await writer.expect("Chat")
    async with (
        await ChatClient.open(live.ws_url, room=busy) as a,
        await ChatClient.open(live.ws_url, room=busy) as b,
    ):
        for i in range(3):
            await a.say(f"busy {i}")
        await b.chats(3)
        result = await http("GET", f"{live.http_url}/api/rooms")
        assert result.status == 200
        rooms = {r["name"]: r for r in result.json()["rooms"]}
        assert (rooms[busy]["members"], rooms[busy]["last_id"]) == (2, 3)
        assert (rooms[empty_now]["members"], rooms[empty_now]["last_id"]) == (0, 1)


async def test_messages_page_newest_first(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room, nick=names.nick("w")) as writer:
        for i in range(1, 26):
            await writer.say(f"message {i}")
        await writer.chats(25)
    base = f"{live.http_url}/api/rooms/{room}/messages"
    page = (await http("GET", f"{base}?limit=10")).json()
    assert page["room"] == room
    assert [m["id"] for m in page["messages"]] == list(range(25, 15, -1))
    assert page["next_before"] == 16
    first = page["messages"][0]
    assert set(first) == MESSAGE_KEYS
    assert (first["text"], first["author"], first["room"]) == ("message 25", writer.nick, room)
    assert first["wsid"] == writer.status["WSID"]
    assert first["time"].endswith("Z")
    page = (await http("GET", f"{base}?limit=10&before=16")).json()
    assert [m["id"] for m in page["messages"]] == list(range(15, 5, -1))
    assert page["next_before"] == 6
    page = (await http("GET", f"{base}?limit=10&before=6")).json()
    assert [m["id"] for m in page["messages"]] == [5, 4, 3, 2, 1]
    assert page["next_before"] is None
    page = (await http("GET", base)).json()
    assert len(page["messages"]) == 25
    assert page["next_before"] is None
    # A room nobody used has no messages (or does not exist).
    assert await stored_ids(live, names.room()) == []


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=ten", "before=0", "before=-1"])
async def test_bad_paging_parameters_are_400(live: ServerProcess, names: Names, query: str) -> None:
    result = await http("GET", f"{live.http_url}/api/rooms/{names.room()}/messages?{query}")
    assert_json_error(result, 400, "bad_param")


async def test_bad_room_name_is_400(live: ServerProcess) -> None:
    room = urllib.parse.quote("no good", safe="")
    result = await http("GET", f"{live.http_url}/api/rooms/{room}/messages")
    assert_json_error(result, 400, "room_invalid")


async def test_post_with_key_is_stored_and_delivered(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as listener:
        result = await http(
            "POST",
            f"{live.http_url}/api/rooms/{room}/messages",
            json_body={"text": "from the API"},
            headers=auth(live),
        )
        assert result.status == 201, result.body
        created = result.json()
        assert set(created) == MESSAGE_KEYS
        assert (created["text"], created["author"], created["id"]) == ("from the API", "system", 1)
        chat = await listener.expect("Chat")
        assert (unb64(chat["Message"]), chat["Author"], chat["ID"]) == ("from the API", "system", 1)
        # A named author must be a valid nickname.
        result = await http(
            "POST",
            f"{live.http_url}/api/rooms/{room}/messages",
            json_body={"text": "signed", "author": "Newsbot"},
            headers=auth(live),
        )
        assert result.status == 201
        assert (await listener.expect("Chat"))["Author"] == "Newsbot"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "wrong key", "basic", "empty bearer"],
)
async def test_post_without_a_valid_key_is_401(
    live: ServerProcess, names: Names, headers: dict[str, str]
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as listener:
        result = await http(
            "POST",
            f"{live.http_url}/api/rooms/{room}/messages",
            json_body={"text": "sneaky"},
            headers=headers,
        )
        assert_json_error(result, 401, "unauthorized")
        result = await http(
            "POST", f"{live.http_url}/api/broadcast", json_body={"text": "x"}, headers=headers
        )
        assert_json_error(result, 401, "unauthorized")
        await listener.barrier()
        assert listener.unclaimed("Chat") == []
    assert await stored_ids(live, room) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "bad_json"),
        (b"", "bad_json"),
        (b"[1, 2]", "bad_json"),
        (b'"text"', "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"{}", "missing_field"),
        (b'{"text": 5}', "bad_field"),
        (b'{"text": "ok", "author": 5}', "bad_field"),
        (b'{"text": "   "}', "empty_message"),
        (b'{"text": "bell \\u0007"}', "bad_text"),
        (b'{"text": "' + b"x" * 4001 + b'"}', "too_long"),
        (b'{"text": "hi", "author": "admin"}', "nick_reserved"),
    ],
)
async def test_post_bad_body_is_400_with_json_error(
    live: ServerProcess, names: Names, body: bytes, code: str
) -> None:
    room = names.room()
    result = await http(
        "POST",
        f"{live.http_url}/api/rooms/{room}/messages",
        data=body,
        headers={**auth(live), "Content-Type": "application/json"},
    )
    assert_json_error(result, 400, code)
    assert await stored_ids(live, room) == []


async def test_post_to_a_bad_room_name_is_400(live: ServerProcess) -> None:
    room = urllib.parse.quote("bad room", safe="")
    result = await http(
        "POST",
        f"{live.http_url}/api/rooms/{room}/messages",
        json_body={"text": "x"},
        headers=auth(live),
    )
    assert_json_error(result, 400, "room_invalid")


async def test_broadcast_endpoint(live: ServerProcess, names: Names) -> None:
    one, two = names.room(), names.room()
    async with (
        await ChatClient.open(live.ws_url, room=one) as in_one,
        await ChatClient.open(live.ws_url, room=two) as in_two,
    ):
        result = await http(
            "POST",
            f"{live.http_url}/api/broadcast",
            json_body={"text": "to all"},
            headers=auth(live),
        )
        assert result.status == 201, result.body
        posted = {m["room"] for m in result.json()["messages"]}
        assert {one, two} <= posted
        for client in (in_one, in_two):
            chat = await client.expect("Chat", lambda f: unb64(f["Message"]) == "to all")
            assert chat["Author"] == "system"
        result = await http(
            "POST", f"{live.http_url}/api/broadcast", data=b"nope", headers=auth(live)
        )
        assert_json_error(result, 400, "bad_json")


async def test_health_and_readiness(live: ServerProcess) -> None:
    health = await http("GET", f"{live.http_url}/healthz")
    assert health.status == 200
    assert health.json()["status"] == "ok"
    ready = await http("GET", f"{live.http_url}/readyz")
    assert ready.status == 200
    assert ready.json()["status"] == "ready"
