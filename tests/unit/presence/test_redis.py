"""RedisPresence's own logic against the real Redis: the documented key layout, the leave signal
sent from inside its script, close, write-back in chunks, and answering from memory when Redis
cannot be reached."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from redis_testing import REDIS_URL, until, until_subscribed
from roomcast.presence.redis import SYNC_CHUNK, RedisPresence


@pytest.fixture
async def make_presence(prefix: str) -> AsyncIterator[Callable[..., RedisPresence]]:
    made: list[RedisPresence] = []

    def make(url: str = REDIS_URL, *, ttl: float = 15.0) -> RedisPresence:
        presence = RedisPresence(url, prefix=prefix, ttl=ttl)
        made.append(presence)
        return presence

    yield make
    for presence in made:
        await presence.close()


async def test_entries_follow_the_documented_key_layout(
    make_presence: Callable[..., RedisPresence], admin: aioredis.Redis, prefix: str
) -> None:
    presence = make_presence()
    node = presence.node
    assert await presence.claim_nick("alice", "c1")
    await presence.join("lobby", "c1", "Alice")
    assert await admin.hgetall(f"{prefix}nicks") == {b"alice": f"{node} c1".encode()}
    assert await admin.hgetall(f"{prefix}node:{node}:nicks") == {b"alice": b"c1"}
    assert await admin.smembers(f"{prefix}node:{node}:rooms") == {b"lobby"}
    assert await admin.smembers(f"{prefix}room:lobby:nodes") == {node.encode()}
    assert await admin.hgetall(f"{prefix}room:lobby:{node}") == {b"c1": b"Alice"}
    assert await admin.zscore(f"{prefix}nodes", node) is not None


async def test_leaving_signals_the_room_and_close_removes_every_entry(
    make_presence: Callable[..., RedisPresence], admin: aioredis.Redis, prefix: str
) -> None:
    presence = make_presence()
    await presence.claim_nick("alice", "c1")
    await presence.join("lobby", "c1", "alice")
    await presence.join("lobby", "c2", "bob")
    signals = admin.pubsub()
    await signals.subscribe(f"{prefix}r:lobby")
    # SUBSCRIBE only sends the command: until Redis has it, the leave's signal could be lost
    # (it failed CI so).
    await until_subscribed(admin, f"{prefix}r:lobby")
    await presence.leave("lobby", "c2")
    signal = None
    for _ in range(20):
        signal = await signals.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if signal is not None:
            break
    assert signal is not None
    assert signal["data"] == f"P{presence.node}".encode()
    await signals.aclose()
    await presence.close()
    assert [key async for key in admin.scan_iter(match=prefix + "*")] == []


async def test_many_entries_are_written_back_in_chunks(
    make_presence: Callable[..., RedisPresence], admin: aioredis.Redis, prefix: str
) -> None:
    presence = make_presence(ttl=1.5)
    count = SYNC_CHUNK * 2 + 100
    for n in range(count):
        await presence.claim_nick(f"nick{n}", f"c{n}")
        await presence.join("lobby", f"c{n}", f"nick{n}")
    await admin.delete(*[key async for key in admin.scan_iter(match=prefix + "*")])

    async def restored() -> bool:
        return (
            await admin.hlen(f"{prefix}nicks") == count
            and await admin.hlen(f"{prefix}room:lobby:{presence.node}") == count
        )

    await until(restored, timeout=5.0)
    assert await presence.counts() == {"lobby": count}


async def test_without_redis_calls_answer_from_this_nodes_copy(
    make_presence: Callable[..., RedisPresence], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="roomcast.presence.redis")
    presence = make_presence("redis://127.0.0.1:1/0")  # nobody listens there
    assert await presence.claim_nick("alice", "c1")  # waits up to CONNECT_TIMEOUT, once
    assert not await presence.claim_nick("alice", "c2")
    assert await presence.nick_owner("alice") == "c1"
    await presence.join("lobby", "c1", "alice")
    await presence.join("lobby", "c2", "Bob")
    assert await presence.members("lobby") == ["alice", "Bob"]
    assert await presence.counts() == {"lobby": 2}
    await presence.leave("lobby", "c2")
    await presence.release_nick("alice", "c1")
    assert await presence.nick_owner("alice") is None
    assert await presence.counts() == {"lobby": 1}
    logged = [r.getMessage() for r in caplog.records if r.name == "roomcast.presence.redis"]
    assert len(logged) == 1, "one line for the outage, none for each call answered from memory"
    assert logged[0].startswith("Redis presence lost: ")


async def test_a_live_nodes_heartbeat_reaps_a_dead_nodes_entries(
    make_presence: Callable[..., RedisPresence], admin: aioredis.Redis, prefix: str
) -> None:
    dying, living = make_presence(ttl=1.0), make_presence(ttl=1.0)
    await dying.claim_nick("alice", "c1")
    await dying.join("lobby", "c1", "alice")
    await living.claim_nick("bob", "c2")
    assert dying._heartbeat is not None
    dying._heartbeat.cancel()  # silent from now on, as after kill -9
    dead = dying.node

    async def reaped() -> bool:
        return not await admin.exists(
            f"{prefix}node:{dead}:nicks", f"{prefix}node:{dead}:rooms", f"{prefix}room:lobby:{dead}"
        )

    await until(reaped, timeout=4.0)
    assert await admin.hgetall(f"{prefix}nicks") == {b"bob": f"{living.node} c2".encode()}
    assert await admin.zscore(f"{prefix}nodes", dead) is None
    assert await admin.smembers(f"{prefix}room:lobby:nodes") == set()
