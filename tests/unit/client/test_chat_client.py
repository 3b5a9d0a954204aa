"""``ChatClient``: its URL, and against a live server (the ``server`` fixture's ``roomcast
serve`` process) rejoining several rooms after a crash, leaving every room,
``join(since=...)``, and what closing does to calls and to the event stream. What its calls
send and make of the answers is test_calls.py's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from yarl import URL

from client.support import until
from conftest import ServerProcess
from roomcast.client import (
    ChatClient,
    ChatError,
    ClientClosed,
    Connected,
    Joined,
    Message,
    RoomInfo,
    connect,
)
from roomcast.client.chat_client import websocket_url


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("http://h:8000", "ws://h:8000/ws"),
        ("https://h", "wss://h/ws"),
        ("ws://h:1/", "ws://h:1/ws"),
        ("ws://h:1/chat/ws?x=1", "ws://h:1/chat/ws?x=1"),
        ("wss://h/ws", "wss://h/ws"),
        ("http://h:8000?token=rc_x", "ws://h:8000/ws?token=rc_x"),
        ("https://h/?token=a.b.c&x=1", "wss://h/ws?token=a.b.c&x=1"),
    ],
)
def test_the_url_names_a_websocket(given: str, used: str) -> None:
    assert websocket_url(given) == URL(used)


@pytest.mark.parametrize("url", ["ftp://h/ws", "h:8000", "/ws"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not a WebSocket URL"):
        ChatClient(url)


def texts(events: list[Any], room: str) -> list[str]:
    return [e.text for e in events if isinstance(e, Message) and e.room == room]


async def test_a_crash_rejoins_every_room_where_it_was_read(server: ServerProcess) -> None:
    async with connect(server.ws_url, nick="many", room="a", reconnect_delay=0.2) as chat:
        await chat.join("b")
        await chat.join("c")
        await chat.leave("a")
        async with connect(server.ws_url, nick="poster", room="b", reconnect=False) as poster:
            await poster.join("c")
            await poster.send("b1", room="b")
            await poster.send("c1", room="c")
        await until(chat, lambda ev: texts(ev, "b") == ["b1"] and texts(ev, "c") == ["c1"])
        server.kill()
        server.start()
        events = await until(chat, lambda ev: len([e for e in ev if isinstance(e, Joined)]) >= 2)
        again = next(e for e in events if isinstance(e, Connected))
        assert (again.room, again.resumed) == ("b", True)  # "a" was left: "b" comes first now
        assert sorted(e.room for e in events if isinstance(e, Joined)) == ["b", "c"]
        assert chat.rooms == ["b", "c"]
        async with connect(server.ws_url, nick="poster2", room="c", reconnect=False) as poster:
            await poster.send("c2")
        events = await until(chat, lambda ev: texts(ev, "c") == ["c2"])
        assert texts(events, "b") == []  # nothing replayed twice


async def test_with_no_room_left_it_still_reconnects_to_none(server: ServerProcess) -> None:
    async with connect(server.ws_url, room="only", reconnect_delay=0.2) as chat:
        await chat.leave("only")
        assert chat.rooms == []
        with pytest.raises(ChatError) as refused:
            await chat.send("to whom?")
        assert refused.value.code == "not_in_room"
        server.kill()
        server.start()
        events = await until(chat, lambda ev: sum(isinstance(e, Connected) for e in ev) == 2)
        assert [e.room for e in events if isinstance(e, Connected)] == ["only", "default"]
        assert await chat.ping() >= 0  # the Leave of "default" went out before this
        assert chat.rooms == []
        joined = await chat.join("later")
        assert (joined.room, chat.rooms) == ("later", ["later"])


async def test_join_since_replays_exactly_what_follows(server: ServerProcess) -> None:
    async with connect(server.ws_url, nick="writer", room="log") as writer:
        for i in range(1, 6):
            await writer.send(f"line {i}")
        async with connect(server.ws_url, nick="reader", room="elsewhere") as reader:
            joined = await reader.join("log", since=3)
            assert joined.last_id == 5
            events = await until(reader, lambda ev: len(texts(ev, "log")) == 2)
            messages = [e for e in events if isinstance(e, Message)]
            assert [(m.id, m.text, m.backlog) for m in messages] == [
                (4, "line 4", False),
                (5, "line 5", False),
            ]
            assert reader.last_id("log") == 5


async def test_closing_fails_what_waits_and_ends_the_stream(server: ServerProcess) -> None:
    chat = await connect(server.ws_url, room="c", reconnect_delay=5.0)
    assert chat.connected
    assert chat.nick is not None
    server.kill()
    await until(chat, lambda ev: bool(ev) and not isinstance(ev[-1], Connected | Joined | RoomInfo))
    waiting = asyncio.ensure_future(chat.send("never"))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # kept for a resend after the reconnect
    await chat.aclose()
    with pytest.raises(ClientClosed):
        await waiting
    with pytest.raises(ClientClosed):
        await chat.next_event(1)
    assert [event async for event in chat] == []
    with pytest.raises(ClientClosed):
        await chat.ping()
    await chat.aclose()  # a second close does nothing
    assert not chat.connected


async def test_a_refused_first_connection_leaves_nothing_open(server: ServerProcess) -> None:
    chat = ChatClient(server.ws_url, room="bad room")
    with pytest.raises(ChatError) as refused:
        await chat.open()
    assert refused.value.code == "room_invalid"
    assert not chat.connected
    assert chat.nick is None
