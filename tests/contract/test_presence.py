"""One contract for every Presence: the memory and the Redis presence pass the same tests.

Tests about several nodes, dead nodes and a Redis that lost its data need a presence that spans
processes (``multi_node``) and are skipped for the memory presence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from roomcast.presence import Presence
from roomcast.presence.memory import MemoryPresence
from roomcast.presence.redis import RedisPresence

from .conftest import REDIS_URL


@dataclass
class PresenceKind:
    name: str
    multi_node: bool


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> PresenceKind:
    return PresenceKind(request.param, multi_node=request.param != "memory")


@pytest.fixture
def prefix(kind: PresenceKind, request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("redis_prefix")) if kind.name == "redis" else ""


@pytest.fixture
async def make_node(kind: PresenceKind, prefix: str) -> AsyncIterator[Callable[..., Presence]]:
    """Presences of one deployment; Redis ones are closed at the end."""
    made: list[Presence] = []

    def make(ttl: float = 15.0) -> Presence:
        presence: Presence = (
            MemoryPresence()
            if kind.name == "memory"
            else RedisPresence(REDIS_URL, prefix=prefix, ttl=ttl)
        )
        made.append(presence)
        return presence

    yield make
    for presence in made:
        if isinstance(presence, RedisPresence):
            await presence.close()


@pytest.fixture
def presence(make_node: Callable[..., Presence]) -> Presence:
    return make_node()


def skip_single_node(kind: PresenceKind) -> None:
    if not kind.multi_node:
        pytest.skip(f"the {kind.name} presence is one node by design")


async def eventually(check: Callable[[], object], timeout: float) -> None:
    """Wait until ``await check()`` is truthy."""
    for _ in range(int(timeout / 0.05)):
        if await check():  # type: ignore[misc]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached within {timeout} s")


async def test_a_nickname_has_one_owner(presence: Presence) -> None:
    assert await presence.claim_nick("alice", "c1")
    assert await presence.claim_nick("alice", "c1")  # claiming again is harmless
    assert not await presence.claim_nick("alice", "c2")
    assert await presence.nick_owner("alice") == "c1"
    await presence.release_nick("alice", "c2")  # not the owner: no effect
    assert await presence.nick_owner("alice") == "c1"
    await presence.release_nick("alice", "c1")
    assert await presence.nick_owner("alice") is None
    assert await presence.claim_nick("alice", "c2")


async def test_members_are_listed_sorted_and_renamed(presence: Presence) -> None:
    await presence.join("lobby", "c1", "bob")
    await presence.join("lobby", "c2", "Alice")
    await presence.join("lobby", "c3", "carol")
    await presence.join("other", "c1", "bob")
    assert await presence.members("lobby") == ["Alice", "bob", "carol"]
    await presence.join("lobby", "c1", "zed")  # a rename
    assert await presence.members("lobby") == ["Alice", "carol", "zed"]
    assert await presence.counts() == {"lobby": 3, "other": 1}
    await presence.leave("lobby", "c2")
    await presence.leave("lobby", "c2")  # leaving twice is harmless
    await presence.leave("other", "c1")
    assert await presence.members("lobby") == ["carol", "zed"]
    assert await presence.members("other") == []
    assert await presence.counts() == {"lobby": 2}


async def test_nicknames_and_members_span_nodes(
    kind: PresenceKind, make_node: Callable[..., Presence]
) -> None:
    skip_single_node(kind)
    one, two = make_node(), make_node()
    assert await one.claim_nick("alice", "c1")
    assert not await two.claim_nick("alice", "c2")
    assert await two.nick_owner("alice") == "c1"
    await one.join("lobby", "c1", "alice")
    await two.join("lobby", "c2", "bob")
    assert await one.members("lobby") == ["alice", "bob"]
    assert await two.members("lobby") == ["alice", "bob"]
    assert await two.counts() == {"lobby": 2}
    await one.release_nick("alice", "c1")
    assert await two.claim_nick("alice", "c2")


async def test_a_dead_nodes_entries_expire_and_are_signalled(
    kind: PresenceKind, make_node: Callable[..., Presence], prefix: str
) -> None:
    skip_single_node(kind)
    dying, living = make_node(ttl=1.0), make_node(ttl=1.0)
    assert isinstance(dying, RedisPresence)
    await dying.claim_nick("alice", "c1")
    await dying.join("lobby", "c1", "alice")
    await living.join("lobby", "c2", "bob")
    assert await living.members("lobby") == ["alice", "bob"]
    signals = aioredis.Redis.from_url(REDIS_URL).pubsub()
    await signals.subscribe(f"{prefix}r:lobby")
    # Stop the heartbeat without a word, as kill -9 would.
    assert dying._heartbeat is not None
    dying._heartbeat.cancel()

    async def gone() -> bool:
        return await living.members("lobby") == ["bob"]

    await eventually(gone, 1.0 + 1.0 / 3 + 1.0)
    assert await living.claim_nick("alice", "c9")
    # The next heartbeat of the living node reaps the dead one and signals its rooms.
    async with asyncio.timeout(3):
        while True:
            message = await signals.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                assert message["data"] == b"P------------"
                break
    await signals.aclose()
    assert await living.counts() == {"lobby": 1}


async def test_entries_come_back_after_redis_lost_them(
    kind: PresenceKind, make_node: Callable[..., Presence], prefix: str
) -> None:
    skip_single_node(kind)
    one, two = make_node(ttl=1.5), make_node(ttl=1.5)
    await one.claim_nick("alice", "c1")
    await one.join("lobby", "c1", "alice")
    await two.join("lobby", "c2", "bob")
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    await client.delete(*keys)  # what a restart without persistence does
    await client.aclose()

    async def restored() -> bool:
        return (
            await two.members("lobby") == ["alice", "bob"] and await two.nick_owner("alice") == "c1"
        )

    await eventually(restored, 3.0)
    assert not await two.claim_nick("alice", "c2")
