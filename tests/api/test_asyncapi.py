"""The AsyncAPI document against real frames of a live server, so the spec cannot drift.

Every server frame type is provoked and each frame received is validated against its schema;
client frames the schemas accept are accepted by the server, and those they refuse are refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets

from conftest import ServerProcess
from helpers import Client, b64, chat_line
from roomcast.http.specs import asyncapi_document
from roomcast.http.specs.asyncapi import SERVER_MESSAGES
from roomcast.ops.config import Settings
from roomcast.wire import protocol

from .support import auth, http, validators

SERVER_TYPES = {key: schema for key, schema, _ in SERVER_MESSAGES}


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in all_refs(value)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_document_is_consistent() -> None:
    document = asyncapi_document(Settings())
    assert document["asyncapi"] == "3.0.0"
    for ref in all_refs(document):
        resolve(document, ref)  # every reference points at something
    for operation in document["operations"].values():
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel + "/messages/")
    make = validators(document, openapi=False)
    for name, message in document["components"]["messages"].items():
        schema = message["payload"]["$ref"].rsplit("/", 1)[1]
        for example in message["examples"]:
            make(schema).validate(example["payload"])
            make("ServerFrame" if name in SERVER_TYPES else "ClientFrame").validate(
                example["payload"]
            )
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    assert codes == [code.value for code in protocol.ErrorCode]


def test_limits_follow_the_settings() -> None:
    document = asyncapi_document(Settings(max_text_chars=77))
    line = document["components"]["schemas"]["ChatLine"]
    assert "77 characters" in line["properties"]["Message"]["description"]
    history = document["components"]["schemas"]["HistoryCommand"]["properties"]["Limit"]
    assert history["maximum"] == protocol.MAX_HISTORY_LIMIT


async def test_every_frame_of_a_live_server_matches_its_schema(
    api_server: ServerProcess, asyncapi: dict[str, Any]
) -> None:
    make = validators(asyncapi, openapi=False)
    sent: list[dict[str, Any]] = []

    async def send(client: Client, frame: dict[str, Any]) -> None:
        sent.append(frame)
        await client.send(frame)

    for i in range(5):  # more than the resume limit (3) of this server
        await http(
            "POST",
            f"{api_server.http_url}/api/rooms/busy/messages",
            json_body={"text": f"old {i}"},
            headers=auth(),
        )
    url = api_server.ws_url
    async with (
        await Client.connect(url, room="lobby", nick="alice") as alice,
        await Client.connect(url, room="lobby", nick="bob", userlist="diff") as bob,
    ):
        await bob.expect("userlist")
        async with await Client.connect(url, room="lobby", nick="alice") as carol:
            await carol.expect("Error", lambda f: f["Code"] == "nick_taken")
            await bob.expect("Presence")
        await send(alice, {"Message": b64("hello"), "Author": "alice", "Ref": 1})
        hello = await alice.expect("Ack")
        await send(alice, {"Type": "Nick", "Name": "alicia", "Ref": "n"})
        await alice.expect("Nick")
        await send(alice, {"Type": "Join", "Room": "busy", "Since": 0, "Ref": 2})
        assert (await alice.expect("Joined", lambda f: f["Room"] == "busy"))["Truncated"]
        await send(alice, {"Type": "History", "Room": "busy", "Limit": 2, "Ref": 3})
        assert (await alice.expect("History"))["More"]
        await send(alice, {"Type": "Leave", "Room": "busy", "Ref": 4})
        await alice.expect("Left")
        await send(alice, {"Type": "Ping", "Ref": 5})
        await alice.expect("Pong")
        await send(alice, {"Type": "Chat", "Message": b64("typed"), "Room": "lobby"})
        await alice.send("{not json")
        await alice.expect("Error", lambda f: f["Code"] == "bad_json")
        await bob.expect("Chat", lambda f: f["Author"] == "alicia")
        # Conversations: a reply in a thread, an edit, a reaction, versions, typing.
        typed = await alice.expect("Chat", lambda f: f["Author"] == "alicia")
        await send(bob, {"Message": b64("re"), "Thread": typed["ID"], "ReplyTo": typed["ID"]})
        await alice.expect("Chat", lambda f: f.get("Thread") == typed["ID"])
        edit = {"Type": "Edit", "Room": "lobby", "Target": typed["ID"], "Message": b64("t2")}
        await send(alice, {**edit, "Ref": 20})
        await bob.expect("Edited")
        react = {"Type": "React", "Room": "lobby", "Target": typed["ID"], "Emoji": "👍"}
        await send(bob, {**react, "Ref": 21})
        await alice.expect("Reaction")
        await send(bob, {"Type": "Edits", "Room": "lobby", "Target": typed["ID"], "Ref": 22})
        await bob.expect("Edits")
        await send(bob, {"Type": "Search", "Query": "t2", "Ref": 23})
        assert (await bob.expect("Results"))["Messages"][0]["Highlight"] == [["t2", True]]
        await send(bob, {"Type": "Members", "Room": "lobby", "Limit": 1, "Ref": 25})
        page = await bob.expect("Members")
        assert (len(page["Names"]), page["More"]) == (1, True)
        history = {"Type": "History", "Room": "lobby", "Around": typed["ID"], "Ref": 24}
        await send(bob, history)
        await bob.expect("History", lambda f: f.get("Ref") == 24)
        await send(bob, {"Type": "Typing", "Room": "lobby"})
        await alice.expect("Typing", lambda f: f["Names"] == ["bob"])
        await send(bob, {"Type": "Typing", "Room": "lobby", "Stop": True})
        await alice.expect("Typing", lambda f: f["Names"] == [])
        # A moderator (an account given the role with the API key) deletes a line, kicks bob.
        base = api_server.http_url
        account = {"name": "modder", "password": "correct horse"}
        signed_up = await http("POST", f"{base}/api/register", json_body=account)
        cookie = signed_up.headers["Set-Cookie"].split(";", 1)[0]
        role = {"role": "moderator"}
        await http("PUT", f"{base}/api/rooms/lobby/roles/modder", json_body=role, headers=auth())
        ws = await websockets.connect(f"{url}?room=lobby", additional_headers={"Cookie": cookie})
        second = await websockets.connect(
            f"{url}?room=lobby", additional_headers={"Cookie": cookie}
        )
        async with Client(ws) as mod, Client(second) as tab:
            await mod.expect("Rooms")
            await mod.expect("Room", lambda f: f["Role"] == "moderator")
            # People: a mention, a read marker seen by the other tab, a block, a direct room.
            await send(alice, {"Message": b64("@modder look"), "Room": "lobby"})
            notify = await tab.expect("Notify")
            await send(mod, {"Type": "Read", "Room": "lobby", "ID": notify["ID"]})
            await tab.expect("Read")
            other = {"name": "other", "password": "correct horse"}
            await http("POST", f"{base}/api/register", json_body=other)
            await send(mod, {"Type": "Block", "Name": "other", "Ref": "b"})
            await mod.expect("Blocks")
            await send(mod, {"Type": "Unblock", "Name": "other", "Ref": "u"})
            await mod.expect("Blocks", lambda f: f["Ref"] == "u")
            await send(mod, {"Type": "Direct", "Names": ["other"], "Ref": "d"})
            await mod.expect("Room", lambda f: f.get("Direct") is True)
            await send(mod, {"Type": "Delete", "Room": "lobby", "ID": hello["ID"], "Ref": 6})
            await mod.expect("Ack", lambda f: f["Ref"] == 6)
            await alice.expect("Deleted")
            await send(mod, {"Type": "Kick", "Room": "lobby", "Name": "bob", "Ref": 7})
            await mod.expect("Moderated", lambda f: f["Action"] == "kick")
            await bob.expect("Kicked")
        frames = alice.frames + bob.frames + carol.frames + mod.frames + tab.frames

    seen: set[str] = set()
    for frame in frames:
        frame = frame.get("was", frame)  # frames claimed by expect() are wrapped
        make("ServerFrame").validate(frame)
        make(SERVER_TYPES[frame["Type"]]).validate(frame)
        seen.add(frame["Type"])
    assert seen == set(SERVER_TYPES), f"frames never provoked: {set(SERVER_TYPES) - seen}"
    for frame in sent:
        make("ClientFrame").validate(frame)


# (frame, accepted by the schema). The server must agree: an accepted frame never gets a
# format error back, a refused one always does.
CLIENT_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"Message": b64("hi")}, True),
    ({"Message": b64("hi"), "Author": "zed", "Room": "lobby", "Ref": "r-1"}, True),
    ({"Type": "Chat", "Message": b64("hi"), "Ref": 2**53 - 1}, True),
    ({"Type": "Join", "Room": "other", "Since": 0}, True),
    ({"Type": "Leave", "Room": "other"}, True),
    ({"Type": "History", "Limit": 200, "Before": 1}, True),
    ({"Type": "Ping"}, True),
    ({"Type": "Nick", "Name": "zed"}, True),
    ({"Type": "Create", "Room": "team", "Private": True, "Topic": "t"}, True),
    ({"Type": "Ban", "Room": "lobby", "Name": "zed", "Duration": 60, "Reason": "spam"}, True),
    ({"Type": "Delete", "Room": "lobby", "ID": 3}, True),
    ({"Type": "Delete", "Room": "lobby", "Target": 3}, True),
    ({"Type": "Edit", "Room": "lobby", "Target": 3, "Message": b64("x")}, True),
    ({"Type": "React", "Room": "lobby", "Target": 3, "Emoji": ":tada:", "Remove": True}, True),
    ({"Type": "Typing", "Room": "lobby", "Stop": True}, True),
    ({"Type": "Edits", "Room": "lobby", "Target": 3}, True),
    ({"Type": "History", "Room": "lobby", "Thread": 3}, True),
    ({"Message": b64("x"), "ReplyTo": 1, "Thread": 1}, True),
    ({"Type": "Role", "Room": "lobby", "Name": "zed", "Role": "member"}, True),
    ({"Type": "Members", "Room": "lobby", "After": "zed", "Limit": 200}, True),
    ({"Type": "Members"}, True),
    ({}, False),
    ({"Author": "zed"}, False),
    ({"Message": 5}, False),
    ({"Message": "@@@"}, False),
    ({"Message": b64("hi"), "Ref": ""}, False),
    ({"Message": b64("hi"), "Ref": 2**53}, False),
    ({"Message": b64("hi"), "Ref": True}, False),
    ({"Type": "Join"}, False),
    ({"Type": "Join", "Room": "x", "Since": -1}, False),
    ({"Type": "Join", "Room": "x" * 65}, False),
    ({"Type": "Leave", "Room": 5}, False),
    ({"Type": "History", "Limit": 201}, False),
    ({"Type": "History", "Limit": 0}, False),
    ({"Type": "History", "Before": 0}, False),
    ({"Type": "Nick"}, False),
    ({"Type": "Create", "Room": "team", "Private": "yes"}, False),
    ({"Type": "Ban", "Room": "lobby", "Name": "zed", "Duration": 0}, False),
    ({"Type": "Kick", "Room": "lobby"}, False),
    ({"Type": "Delete", "Room": "lobby"}, False),
    ({"Type": "Edit", "Room": "lobby", "Target": 0, "Message": b64("x")}, False),
    ({"Type": "React", "Room": "lobby", "Target": 3}, False),
    ({"Type": "React", "Room": "lobby", "Target": 3, "Emoji": ""}, False),
    ({"Type": "Typing"}, False),
    ({"Message": b64("x"), "ReplyTo": 0}, False),
    ({"Type": "Role", "Room": "lobby", "Name": "zed", "Role": "king"}, False),
    ({"Type": "Members", "Limit": 0}, False),
    ({"Type": "Members", "Limit": 201}, False),
    ({"Type": "Members", "After": ""}, False),
    ({"Type": "Members", "After": "x" * 33}, False),
    ({"Type": "Dance"}, False),
    ({"Type": 7}, False),
]
FORMAT_ERRORS = {
    "bad_json",
    "not_object",
    "missing_field",
    "bad_field",
    "bad_base64",
    "room_invalid",
    "unknown_type",
}


@pytest.mark.parametrize(("frame", "valid"), CLIENT_CASES, ids=lambda v: json.dumps(v)[:40])
async def test_client_frame_schemas_agree_with_the_parser(
    frame: dict[str, Any], valid: bool
) -> None:
    schema = validators(asyncapi_document(Settings()), openapi=False)("ClientFrame")
    assert schema.is_valid(frame) == valid
    if valid:
        protocol.parse(json.dumps(frame))  # raises if the server refuses what the schema accepts
    else:
        with pytest.raises(protocol.ProtocolError) as refused:
            protocol.parse(json.dumps(frame))
        assert refused.value.code in FORMAT_ERRORS


async def test_the_tutorial_line_is_a_client_frame() -> None:
    schema = validators(asyncapi_document(Settings()), openapi=False)("ClientFrame")
    schema.validate(json.loads(chat_line("hello", "alice")))
