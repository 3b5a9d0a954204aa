"""Departures and shutdown: clean closes, vanished peers, SIGTERM and SIGINT."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

from conftest import ServerProcess
from roomcast.wire.restart_hint import retry_after

from .support import ChatClient, Names, RawWebSocket, http, user_names


async def test_clean_close_updates_the_userlist_at_once(live: ServerProcess, names: Names) -> None:
    room = names.room()
    leaver_nick = names.nick("leaver")
    async with await ChatClient.open(live.ws_url, room=room) as watcher:
        leaver = await ChatClient.open(live.ws_url, room=room, nick=leaver_nick)
        await watcher.expect("userlist", lambda f: leaver_nick in user_names(f))
        started = time.monotonic()
        await leaver.close()
        await watcher.expect("userlist", lambda f: user_names(f) == [watcher.nick], timeout=5)
        assert time.monotonic() - started < 2.0


async def test_reset_connection_updates_the_userlist_at_once(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    ghost = names.nick("reset")
    async with await ChatClient.open(live.ws_url, room=room) as watcher:
        raw = await RawWebSocket.connect(live.port, room=room, nick=ghost)
        await watcher.expect("userlist", lambda f: ghost in user_names(f))
        started = time.monotonic()
        raw.abort()  # TCP reset, no close frame
        await watcher.expect("userlist", lambda f: ghost not in user_names(f), timeout=5)
        assert time.monotonic() - started < 2.0


async def test_vanished_peer_is_removed_after_missed_pings(
    server_factory: Any, names: Names
) -> None:
    """A client that completed the handshake and then went silent (never answers pings)."""
    server = server_factory("--ping-interval", "1", "--userlist-interval", "0.02")
    room = names.room()
    ghost = names.nick("ghost")
    async with await ChatClient.open(server.ws_url, room=room) as watcher:
        await watcher.expect("userlist", lambda f: user_names(f) == [watcher.nick])
        started = time.monotonic()
        silent = await RawWebSocket.connect(server.port, room=room, nick=ghost)
        # The silent peer reads nothing and answers nothing; its socket stays open.
        await watcher.expect("userlist", lambda f: ghost in user_names(f))
        gone = await watcher.expect("userlist", lambda f: ghost not in user_names(f), timeout=20)
        elapsed = time.monotonic() - started
        assert user_names(gone) == [watcher.nick]
        # Not before the first unanswered ping (1 s), well before the 30 s default.
        assert 1.0 <= elapsed < 10, elapsed
        # Its nickname is free again.
        answer = await watcher.request({"Type": "Nick", "Name": ghost}, "Nick")
        assert answer["Type"] == "Nick"
        silent.abort()


async def test_idle_but_healthy_client_is_kept(server_factory: Any, names: Names) -> None:
    """With pings every second, a client that answers them stays however long it is quiet."""
    server = server_factory("--ping-interval", "1", "--userlist-interval", "0.02")
    room = names.room()
    async with (
        await ChatClient.open(server.ws_url, room=room) as watcher,
        await ChatClient.open(server.ws_url, room=room) as idle,
    ):
        both = sorted([watcher.nick, idle.nick])
        full = await watcher.expect("userlist", lambda f: user_names(f) == both)
        await asyncio.sleep(2.5)  # more than two ping intervals of silence on both sides
        await idle.say("still here")
        chat = await watcher.expect("Chat")
        assert chat["Author"] == idle.nick
        await watcher.barrier()
        later = [f for f in watcher.after(full) if f["Type"] == "userlist"]
        assert all(user_names(f) == both for f in later), later


async def test_sigterm_closes_clients_with_1012_and_a_spread_hint_keeps_acked_and_exits_0(
    server_factory: Any, names: Names
) -> None:
    server: ServerProcess = server_factory()
    rooms = [names.room(), names.room()]
    clients = [await ChatClient.open(server.ws_url, room=room) for room in rooms * 2]
    # Lines still in flight when the signal comes must be either kept with an Ack or not Acked.
    for i in range(300):
        await clients[i % 4].say(f"line {i}", Ref=i)
    first_ack = await clients[0].expect("Ack")
    assert server.proc is not None
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    closes = await asyncio.gather(*(client.close_code() for client in clients))
    returncode = await asyncio.to_thread(server.proc.wait, 30)
    assert returncode == 0, server.log()[-2000:]
    assert time.monotonic() - started < 10
    assert all(code == 1012 for code, _ in closes), closes
    hints = [retry_after(reason) for _, reason in closes]
    assert all(hint is not None and 0 <= hint <= 5 for hint in hints), closes
    acked = {
        (frame["Room"], frame["ID"])
        for client in clients
        for frame in [first_ack, *client.unclaimed("Ack")]
    }
    assert acked

    server.start()
    for room in rooms:
        result = await http("GET", f"{server.http_url}/api/rooms/{room}/messages?limit=200")
        kept = {m["id"] for m in result.json()["messages"]}
        assert {i for r, i in acked if r == room} <= kept


async def test_sigterm_does_not_wait_forever_for_a_silent_client(
    server_factory: Any, names: Names
) -> None:
    server: ServerProcess = server_factory()
    silent = await RawWebSocket.connect(server.port, room=names.room())
    assert server.proc is not None
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    returncode = await asyncio.to_thread(server.proc.wait, 30)
    assert returncode == 0
    assert time.monotonic() - started < 12  # the shutdown timeout is 5 s
    silent.abort()


async def test_sigint_is_a_graceful_stop_too(server_factory: Any, names: Names) -> None:
    server: ServerProcess = server_factory()
    client = await ChatClient.open(server.ws_url, room=names.room())
    assert server.proc is not None
    server.proc.send_signal(signal.SIGINT)
    code, reason = await client.close_code()
    assert code == 1012
    assert retry_after(reason) is not None
    assert await asyncio.to_thread(server.proc.wait, 30) == 0
