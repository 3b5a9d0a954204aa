"""The Python client library against a live server: requests, events, and reconnect with resume
across server restarts and crashes (no duplicate, no gap, every send stored once)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import pytest

from client.support import next_of
from conftest import ServerProcess
from helpers import Client
from roomcast.client import (
    ChatClient,
    ChatError,
    ClientClosed,
    Connected,
    Disconnected,
    Event,
    Joined,
    Left,
    Message,
    NickChanged,
    ServerError,
    Users,
    connect,
)
from roomcast.http.specs import asyncapi_document
from roomcast.ops.config import Settings
from roomcast.wire.restart_hint import retry_after


def post(server: ServerProcess, room: str, text: str) -> int:
    request = urllib.request.Request(
        f"{server.http_url}/api/rooms/{room}/messages",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["id"])


def stored_texts(server: ServerProcess, room: str) -> list[str]:
    url = f"{server.http_url}/api/rooms/{room}/messages?limit=200"
    with urllib.request.urlopen(url, timeout=10) as response:
        return [m["text"] for m in reversed(json.load(response)["messages"])]


async def collect_messages(chat: ChatClient, room: str, count: int) -> list[Message]:
    got: list[Message] = []
    while len(got) < count:
        event = await chat.next_event(10)
        if isinstance(event, Message) and event.room == room:
            got.append(event)
    return got


async def test_requests_and_events(server: ServerProcess) -> None:
    post(server, "lobby", "before anyone came")
    async with connect(server.http_url, nick="alice", room="lobby") as alice:
        connected = await next_of(alice, Connected)
        assert (connected.nick, connected.room, connected.resumed) == ("alice", "lobby", False)
        assert alice.nick == "alice"
        assert alice.session == connected.session
        assert await next_of(alice, Joined) == Joined("lobby", 1, False)
        backlog = await next_of(alice, Message)
        assert (backlog.text, backlog.backlog, backlog.author) == (
            "before anyone came",
            True,
            "system",
        )
        assert (await next_of(alice, Users)).names == ("alice",)

        async with connect(server.ws_url, nick="bob", room="lobby") as bob:
            # Once bob has joined, what alice sends is live for him, not part of his backlog.
            await next_of(bob, Joined)
            assert await alice.send("hi bob ☺") == 2
            live = await next_of(bob, Message)
            while live.backlog:
                live = await next_of(bob, Message)
            assert (live.id, live.text, live.author, live.backlog) == (
                2,
                "hi bob ☺",
                "alice",
                False,
            )
            assert live.time.tzinfo is not None

            assert (await alice.join("side")).room == "side"
            assert alice.rooms == ["lobby", "side"]
            assert await alice.send("over here", room="side") == 1
            with pytest.raises(ChatError) as refused:
                await alice.send("nowhere", room="elsewhere")
            assert refused.value.code == "not_in_room"
            with pytest.raises(ChatError) as too_long:
                await alice.send("x" * 5000)
            assert too_long.value.code == "too_long"
            with pytest.raises(ChatError) as taken:
                await bob.set_nick("ALICE")
            assert taken.value.code == "nick_taken"
            assert await bob.set_nick("  Robert ") == "Robert"
            assert bob.nick == "Robert"
            assert (await next_of(bob, NickChanged)).old == "bob"

            page = await alice.history("lobby", limit=1)
            assert [m.id for m in page.messages] == [2]
            assert page.more
            older = await alice.history("lobby", before=page.next_before, limit=5)
            assert ([m.text for m in older.messages], older.more) == (["before anyone came"], False)
            assert older.next_before is None
            assert 0 <= await alice.ping() < 1
            await alice.leave("side")
            assert alice.rooms == ["lobby"]
            assert alice.last_id("lobby") == 2


async def test_the_frames_the_client_sends_match_the_asyncapi_schemas(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    document = asyncapi_document(Settings())
    registry: Registry[Any] = Registry().with_resource(
        "urn:a", Resource.from_contents(document, default_specification=DRAFT7)
    )
    schema = jsonschema.Draft7Validator(
        {"$ref": "urn:a#/components/schemas/ClientFrame"}, registry=registry
    )
    sent: list[dict[str, Any]] = []
    original = ChatClient._send_frame

    def checked(self: ChatClient, frame: dict[str, Any]) -> None:
        sent.append(dict(frame))
        original(self, frame)

    monkeypatch.setattr(ChatClient, "_send_frame", checked)
    async with connect(server.ws_url, nick="checker", room="one") as chat:
        first = await chat.send("one")
        await chat.send("two", reply_to=first, thread=first)
        await chat.edit("one", first, "one!")
        await chat.react("one", first, "👍")
        await chat.react("one", first, ":+1:", remove=True)
        chat.typing("one")
        chat.typing("one", stop=True)
        await chat.thread("one", first, before=5, limit=3)
        await chat.edits("one", first)
        await chat.delete("one", first)
        await chat.join("two", since=0)
        await chat.history("two", before=5, limit=3)
        await chat.set_nick("checked")
        await chat.ping()
        await chat.leave("two")
    assert len(sent) == 15
    for frame in sent:
        schema.validate(frame)


async def test_resume_after_a_crash_has_no_duplicate_and_no_gap(
    server: ServerProcess,
) -> None:
    received: dict[str, list[Message]] = {"a": [], "b": []}
    events: list[Event] = []

    async def until(a: int, b: int) -> None:
        while len(received["a"]) < a or len(received["b"]) < b:
            event = await chat.next_event(15)
            events.append(event)
            if isinstance(event, Message):
                received[event.room].append(event)

    async with connect(server.ws_url, nick="reader", room="a", reconnect_delay=1.0) as chat:
        await chat.join("b")
        for i in range(1, 4):
            post(server, "a", f"a{i}")
            post(server, "b", f"b{i}")
        await until(3, 3)
        server.kill()
        server.start()
        for i in range(4, 9):  # while the client is away (it waits about a second)
            post(server, "a", f"a{i}")
            post(server, "b", f"b{i}")
        await until(8, 8)
        post(server, "a", "a9")
        await until(9, 8)
        assert await chat.send("b9", room="b") == 9
        await until(9, 9)
    for room in ("a", "b"):
        assert [m.text for m in received[room]] == [f"{room}{i}" for i in range(1, 10)]
        assert [m.id for m in received[room]] == list(range(1, 10))
        assert not any(m.backlog for m in received[room])
    kinds = [type(e).__name__ for e in events]
    assert kinds.count("Disconnected") == 1
    first, again = [e for e in events if isinstance(e, Connected)]
    assert (first.resumed, again.resumed) == (False, True)
    assert again.nick == "reader"
    assert again.session == first.session


async def test_sends_survive_a_crash_and_are_stored_once(server: ServerProcess) -> None:
    async with connect(server.ws_url, nick="writer", room="w", reconnect_delay=0.2) as chat:
        sends = [asyncio.create_task(chat.send(f"line {i}")) for i in range(40)]
        await asyncio.sleep(0.01)
        server.kill()
        server.start()
        ids = await asyncio.wait_for(asyncio.gather(*sends), 20)
    assert sorted(ids) == list(range(1, 41))
    texts = stored_texts(server, "w")
    assert sorted(texts) == sorted(f"line {i}" for i in range(40))


async def test_graceful_restart_and_sends_while_away(server: ServerProcess) -> None:
    async with connect(server.ws_url, nick="patient", room="p", reconnect_delay=0.5) as chat:
        assert await chat.send("before") == 1
        assert [m.text for m in await collect_messages(chat, "p", 1)] == ["before"]
        server.stop()
        disconnected = await next_of(chat, Disconnected)
        assert (disconnected.code, disconnected.reconnecting) == (1012, True)
        assert retry_after(disconnected.reason) is not None
        pending = asyncio.create_task(chat.send("while away"))
        await asyncio.sleep(0.1)
        assert not pending.done()
        server.start()
        assert await asyncio.wait_for(pending, 15) == 2
        messages = await collect_messages(chat, "p", 1)
        assert [(m.id, m.text) for m in messages] == [(2, "while away")]


async def test_after_a_restart_it_waits_for_the_hint_and_resumes_without_loss(
    server_factory: Any,
) -> None:
    server: ServerProcess = server_factory("--restart-spread", "1.5")
    async with connect(server.ws_url, nick="spread", room="h", reconnect_delay=0.05) as chat:
        assert await chat.send("before") == 1
        await collect_messages(chat, "h", 1)
        server.stop()
        disconnected = await next_of(chat, Disconnected)
        hint = retry_after(disconnected.reason)
        assert disconnected.code == 1012
        assert hint is not None
        assert 0 <= hint <= 1.5
        gone = asyncio.get_running_loop().time()
        server.start()
        post(server, "h", "while away")
        again = await asyncio.wait_for(next_of(chat, Connected), 15)
        waited = asyncio.get_running_loop().time() - gone
        assert again.resumed
        assert hint <= waited + 0.05  # not before the hint
        messages = await collect_messages(chat, "h", 1)
        assert [(m.id, m.text) for m in messages] == [(2, "while away")]
        assert await chat.send("after") == 3
        assert [m.text for m in await collect_messages(chat, "h", 1)] == ["after"]


async def test_a_session_taken_over_ends_the_client(server: ServerProcess) -> None:
    chat = await connect(server.ws_url, nick="twin", room="t")
    events: list[Event] = []
    try:
        assert chat.session is not None
        async with connect(server.ws_url, session=chat.session, room="t") as successor:
            assert successor.nick == "twin"
            async with asyncio.timeout(10):
                async for event in chat:
                    events.append(event)
            with pytest.raises(ClientClosed):
                await chat.send("too late")
    finally:
        await chat.aclose()
    assert Disconnected(4001, "session resumed elsewhere", False) in events


async def test_without_reconnect_the_stream_ends(server: ServerProcess) -> None:
    async with connect(server.ws_url, room="r", reconnect=False) as chat:
        server.stop()
        async with asyncio.timeout(15):
            events = [event async for event in chat]
        assert isinstance(events[-1], Disconnected)
        assert not events[-1].reconnecting
        assert not chat.connected


async def test_refusals_at_connect(server: ServerProcess) -> None:
    with pytest.raises(ChatError) as refused:
        await connect(server.ws_url, room="not a room")
    assert refused.value.code == "room_invalid"
    async with connect(server.ws_url, nick="admin") as chat:
        error = await next_of(chat, ServerError)
        assert error.code == "nick_reserved"
        assert chat.nick is not None
        assert chat.nick.startswith("guest-")
    with pytest.raises(ValueError, match="not a WebSocket URL"):
        connect("ftp://example.invalid")
    async with await Client.connect(server.ws_url, room="x"):
        pass


async def test_leave_event_and_unknown_frames_are_ignored(server: ServerProcess) -> None:
    async with connect(server.ws_url, room="one") as chat:
        await chat.join("two")
        await chat.leave("one")
        assert await next_of(chat, Left) == Left("one")
        chat._inbox.dispatch({"Type": "SomethingNew", "Room": "two"})
        assert await chat.send("in two") == 1


async def test_resume_does_not_replay_history_a_first_join_left_out(server_factory: Any) -> None:
    server = server_factory("--history-on-join", "0")
    for i in range(1, 4):
        post(server, "h", f"old {i}")
    async with connect(server.ws_url, room="h", reconnect_delay=0.3) as chat:
        assert (await next_of(chat, Joined)).last_id == 3
        server.kill()
        server.start()
        post(server, "h", "new")
        message = await next_of(chat, Message, timeout=15)
        assert (message.id, message.text, message.backlog) == (4, "new", False)
