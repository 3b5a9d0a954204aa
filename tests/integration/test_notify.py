"""Notifications for people who are away, end to end on SQLite: a real ``roomcast serve`` POSTs
what is queued in its database file to a real webhook receiver on 127.0.0.1.

The queue is filled through the store API from the test (the chat layer that fills it has its
own tests): delivered once, signed, with its key; retried with the same key after a 500; not
sent once the line was read; not lost to a restart between queueing and delivery.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from conftest import ServerProcess
from roomcast.chat.notifications import DIRECT, MENTION, notification_for, webhook_body
from roomcast.store import NewMessage, Store, open_store
from roomcast.store.people import DELIVERED, PENDING, READ_IN_TIME, Notification
from roomcast.wire.encode import ChatMessage
from webhook_receiver import Receiver, receiver

SECRET = "integration-webhook-secret"


def webhook_env(rx: Receiver) -> dict[str, str]:
    return {
        "ROOMCAST_NOTIFY_WEBHOOK_URL": rx.url,
        "ROOMCAST_NOTIFY_WEBHOOK_SECRET": SECRET,
        "ROOMCAST_NOTIFY_DELAY": "0.2",
    }


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def queued(
    message_id: int, due_in: float, room: str = "lobby", kind: str = MENTION
) -> Notification:
    line = ChatMessage(room, message_id, "bob", f"hi @alice, line {message_id}", "w", now_ms())
    return notification_for("id-alice", "alice", line, kind, int(due_in * 1000), now_ms())


@asynccontextmanager
async def store_of(server: ServerProcess) -> AsyncIterator[Store]:
    """The server's SQLite file opened from the test process, beside the server."""
    store = open_store(server.db)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def start(server: ServerProcess) -> None:
    await asyncio.to_thread(server.start)


async def stop(server: ServerProcess) -> None:
    assert await asyncio.to_thread(server.stop) == 0


def metric(server: ServerProcess, name: str) -> float:
    with urllib.request.urlopen(server.http_url + "/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_a_due_notification_is_delivered_once_signed_with_its_key(
    server_factory: Callable[..., ServerProcess],
) -> None:
    async with receiver() as rx:
        server = server_factory(env=webhook_env(rx), start=False)
        await start(server)
        async with store_of(server) as store:
            made = queued(7, due_in=0.5, kind=DIRECT)
            await store.enqueue_notification(made)
            [got] = await rx.wait_for(1, 10)
            await asyncio.sleep(2.5)  # a few more rounds: nothing is sent again
            assert len(rx.received) == 1
            assert got.body == webhook_body(made)
            assert got.json == {
                "account": "alice",
                "room": "lobby",
                "id": 7,
                "author": "bob",
                "excerpt": "hi @alice, line 7",
                "kind": "direct",
                "time": got.json["time"],
            }
            assert got.json["time"].endswith("Z")
            assert got.signed_with(SECRET)
            assert not got.signed_with(SECRET + "x")
            assert got.key == made.id
            assert got.headers["Content-Type"] == "application/json"
            counts = await store.notification_counts()
            assert (counts[DELIVERED], counts[PENDING]) == (1, 0)
        assert metric(server, "roomcast_notifications_delivered_total") == 1
        assert metric(server, "roomcast_notifications_pending") == 0
        assert metric(server, "roomcast_notifications_failed_total") == 0
        assert SECRET not in server.log()


async def test_a_refused_notification_is_retried_with_the_same_key(
    server_factory: Callable[..., ServerProcess],
) -> None:
    async with receiver() as rx:
        rx.answers = [500]
        server = server_factory(env=webhook_env(rx), start=False)
        await start(server)
        async with store_of(server) as store:
            made = queued(3, due_in=0.2)
            await store.enqueue_notification(made)
            refused, taken = await rx.wait_for(2, 15)  # the first retry comes 4-5 s later
            assert (refused.status, taken.status) == (500, 200)
            assert refused.key == taken.key == made.id
            assert refused.body == taken.body
            assert taken.signed_with(SECRET)
            await asyncio.sleep(1.5)
            assert len(rx.received) == 2
            assert (await store.notification_counts())[DELIVERED] == 1
        assert metric(server, "roomcast_notifications_delivered_total") == 1
        assert "answered 500" in server.log()


async def test_a_line_read_before_it_falls_due_is_not_sent(
    server_factory: Callable[..., ServerProcess],
) -> None:
    async with receiver() as rx:
        server = server_factory(env=webhook_env(rx), start=False)
        async with store_of(server) as store:  # the room's two lines, before the server runs
            for text in ("hi @alice", "and again @alice"):
                line = NewMessage("r", "bob", text, "w", now_ms(), None, None, "a:id-bob")
                await store.append(line)
        await start(server)
        async with store_of(server) as store:
            read, unread = queued(1, due_in=2.0, room="r"), queued(2, due_in=2.0, room="r")
            await store.enqueue_notification(read)
            await store.enqueue_notification(unread)
            assert await store.set_read("a:id-alice", "r", 1) == 1  # alice came back in time
            [got] = await rx.wait_for(1, 10)
            assert got.key == unread.id
            await asyncio.sleep(2.0)
            assert len(rx.received) == 1
            counts = await store.notification_counts()
            assert (counts[READ_IN_TIME], counts[DELIVERED], counts[PENDING]) == (1, 1, 0)


async def test_a_restart_between_queueing_and_delivery_loses_nothing(
    server_factory: Callable[..., ServerProcess],
) -> None:
    async with receiver() as rx:
        server = server_factory(env=webhook_env(rx), start=False)
        await start(server)
        async with store_of(server) as store:
            made = queued(5, due_in=2.5)
            await store.enqueue_notification(made)
        await stop(server)  # before it fell due
        await asyncio.sleep(3.0)
        assert rx.received == []
        await start(server)
        [got] = await rx.wait_for(1, 10)
        assert got.key == made.id
        await asyncio.sleep(2.0)
        assert len(rx.received) == 1
