"""Search end to end on a real server (SQLite): the Search frame and its Results, History
around a result, errors with their Ref, the searches budget, and GET /api/search with the API's
credentials (guests see public rooms only)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from accounts import connect, joined, register, unique
from conftest import ServerProcess
from helpers import b64, unb64

from .support import ChatClient, Names, http, query_url


async def say(client: ChatClient, room: str, *texts: str) -> list[int]:
    ids = []
    for n, text in enumerate(texts):
        ack = await client.request({"Message": b64(text), "Room": room, "Ref": f"s{n}"}, "Ack")
        ids.append(int(ack["ID"]))
    return ids


async def test_search_frame_finds_a_line_at_once_with_its_highlight(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room, nick=names.nick()) as alice:
        token = names.room("tok").replace("-", "")
        (found_id,) = await say(alice, room, f"Le Café {token} est ouvert 🎉")
        results = await alice.request(
            {"Type": "Search", "Query": f"cafe {token}", "Ref": "q1"}, "Results"
        )
        assert results["Query"] == f"cafe {token}"
        assert results["Ref"] == "q1"
        assert results["More"] is False
        (message,) = results["Messages"]
        history = await alice.request({"Type": "History", "Room": room, "Ref": "h"}, "History")
        (as_history,) = [m for m in history["Messages"] if m["ID"] == found_id]
        assert {k: v for k, v in message.items() if k != "Highlight"} == as_history
        text = unb64(message["Message"])
        assert "".join(part for part, _ in message["Highlight"]) == text
        assert [part for part, hit in message["Highlight"] if hit] == ["Café", token]


async def test_search_errors_carry_the_ref(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room(), nick=names.nick()) as alice:
        for query in ('"open', "-only", ""):
            error = await alice.request({"Type": "Search", "Query": query, "Ref": 9}, "Error")
            assert error["Ref"] == 9
            assert error["Code"] in ("bad_field", "missing_field")
        error = await alice.request({"Type": "Search", "Query": "x", "Limit": 0, "Ref": 8}, "Error")
        assert (error["Code"], error["Ref"]) == ("bad_field", 8)


async def test_searches_are_rate_limited(server_factory: Any) -> None:
    server = server_factory("--rate-searches", "0.01/2")
    async with await ChatClient.open(server.ws_url, room="r", nick="n") as alice:
        for n in range(2):
            await alice.request({"Type": "Search", "Query": "x", "Ref": n}, "Results")
        error = await alice.request({"Type": "Search", "Query": "x", "Ref": 3}, "Error")
        assert (error["Code"], error["Ref"]) == ("rate_limited", 3)
        assert error["RetryAfter"] > 0


async def test_history_around_a_result_pages_both_ways(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room, nick=names.nick()) as alice:
        ids = await say(alice, room, *(f"line {n}" for n in range(9)))
        middle = ids[4]
        page = await alice.request(
            {"Type": "History", "Room": room, "Around": middle, "Limit": 4, "Ref": "a"}, "History"
        )
        assert [m["ID"] for m in page["Messages"]] == ids[2:6]
        assert page["More"] is True
        assert page["Newer"] is True
        newer = await alice.request(
            {"Type": "History", "Room": room, "After": ids[5], "Limit": 2, "Ref": "n"}, "History"
        )
        assert [m["ID"] for m in newer["Messages"]] == ids[6:8]
        assert (newer["More"], newer["Newer"]) == (True, True)
        last = await alice.request(
            {"Type": "History", "Room": room, "After": ids[7], "Limit": 5, "Ref": "l"}, "History"
        )
        assert [m["ID"] for m in last["Messages"]] == ids[8:]
        assert last.get("Newer", False) is False
        error = await alice.request(
            {"Type": "History", "Room": room, "Around": 3, "Before": 5, "Ref": "e"}, "Error"
        )
        assert (error["Code"], error["Ref"]) == ("bad_field", "e")


async def test_rest_search_sees_the_rooms_the_caller_may_read(
    live: ServerProcess, names: Names
) -> None:
    base = live.http_url
    owner = await register(base, unique("own"))
    private = names.room("secret")
    public = names.room("open")
    token = names.room("w").replace("-", "")
    async with await connect(live.ws_url, person=owner, room=public) as client:
        await joined(client, public)
        await client.send({"Type": "Create", "Room": private, "Private": True, "Ref": "c"})
        await client.expect("Room", lambda f: f["Room"] == private)
        await client.send({"Type": "Join", "Room": private, "Ref": "j"})
        await client.expect("Joined", lambda f: f["Room"] == private)
        for room in (public, private):
            await client.send({"Message": b64(f"Naïve {token} here"), "Room": room, "Ref": room})
            await client.expect("Ack", lambda f, room=room: f["Ref"] == room)

    url = query_url(f"{base}/api/search", q=f"naive {token}")
    as_guest = await http("GET", url)
    assert as_guest.status == 200, as_guest.body
    body = as_guest.json()
    assert set(body) == {"results", "more"}
    (result,) = body["results"]
    assert set(result) == {"room", "id", "author", "text", "time", "highlight"}
    assert result["room"] == public
    assert result["highlight"][0] == ["Naïve", True]
    assert "".join(part for part, _ in result["highlight"]) == result["text"]
    as_owner = await http("GET", url, headers=owner.headers())
    assert {r["room"] for r in as_owner.json()["results"]} == {public, private}
    as_admin = await http("GET", url, headers={"Authorization": f"Bearer {live.api_key}"})
    assert {r["room"] for r in as_admin.json()["results"]} == {public, private}
    in_room = await http("GET", query_url(f"{base}/api/search", q=token, room=private))
    assert in_room.json() == {"results": [], "more": False}


async def test_rest_search_refuses_bad_input_with_json_errors(live: ServerProcess) -> None:
    base = live.http_url
    for query, code in (
        ("", "bad_param"),
        ("q=%22open", "bad_field"),
        ("q=-only", "bad_field"),
        ("q=x&limit=0", "bad_param"),
        ("q=x&limit=101", "bad_param"),
        ("q=x&before=abc", "bad_param"),
        ("q=x&room=" + urllib.parse.quote("bad room!"), "room_invalid"),
        ("q=a&q=b", "bad_param"),
        ("q=x&room=", "bad_param"),
    ):
        result = await http("GET", f"{base}/api/search?{query}")
        assert result.status == 400, (query, result.body)
        assert result.json()["error"]["code"] == code, query
