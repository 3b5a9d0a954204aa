"""RedisBroker's own logic against the real Redis: the channel message format both ways, local
delivery without the round trip, ignoring its own echo, surviving a malformed message, node IDs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from redis_testing import REDIS_URL, until, until_subscribed
from roomcast.broker.redis import RedisBroker

OTHER_NODE = b"0123456789ab"


@dataclass
class Recorder:
    """A ``BrokerListener`` that remembers every call."""

    delivered: list[tuple[str, int, bytes]] = field(default_factory=list)
    presence: list[str] = field(default_factory=list)
    resubscriptions: int = 0

    def deliver(self, room: str, message_id: int, payload: bytes) -> None:
        self.delivered.append((room, message_id, payload))

    def presence_changed(self, room: str) -> None:
        self.presence.append(room)

    def resubscribed(self) -> None:
        self.resubscriptions += 1


@pytest.fixture
def seen() -> Recorder:
    return Recorder()


@pytest.fixture
async def broker(prefix: str, seen: Recorder) -> AsyncIterator[RedisBroker]:
    broker = RedisBroker(REDIS_URL, prefix=prefix, node="feedfacecafe")
    await broker.start(seen)
    yield broker
    await broker.stop()


@pytest.fixture
async def lobby(admin: aioredis.Redis, prefix: str) -> AsyncIterator[aioredis.client.PubSub]:
    """A redis-py subscriber on the channel of the room ``lobby``."""
    pubsub = admin.pubsub()
    await pubsub.subscribe(f"{prefix}r:lobby")
    yield pubsub
    await pubsub.aclose()


async def next_data(pubsub: aioredis.client.PubSub) -> bytes:
    for _ in range(50):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            return bytes(message["data"])
    raise AssertionError("nothing published")


async def test_messages_and_signals_go_out_in_the_channel_format(
    broker: RedisBroker, lobby: aioredis.client.PubSub
) -> None:
    broker.publish("lobby", 42, b'{"text":"hi there"}')
    assert await next_data(lobby) == b'Mfeedfacecafe42 {"text":"hi there"}'
    broker.announce("lobby")
    assert await next_data(lobby) == b"Pfeedfacecafe"


async def test_a_subscribed_publisher_delivers_its_own_message_at_once_and_not_its_echo(
    broker: RedisBroker,
    seen: Recorder,
    admin: aioredis.Redis,
    prefix: str,
    lobby: aioredis.client.PubSub,
) -> None:
    broker.subscribe("lobby")
    channel = f"{prefix}r:lobby"
    await until_subscribed(admin, channel, 2)  # the broker and ``lobby``
    broker.publish("lobby", 1, b"mine")
    assert seen.delivered == [("lobby", 1, b"mine")]  # before any round trip
    assert await next_data(lobby) == b"Mfeedfacecafe1 mine"  # Redis has sent the echo
    # A message from another node, published after the echo, arrives after it on the channel.
    await admin.publish(channel, b"M" + OTHER_NODE + b"2 theirs")
    await until(lambda: len(seen.delivered) == 2)
    assert seen.delivered == [("lobby", 1, b"mine"), ("lobby", 2, b"theirs")]


async def test_other_nodes_messages_and_signals_reach_the_listener(
    broker: RedisBroker, seen: Recorder, admin: aioredis.Redis, prefix: str
) -> None:
    broker.subscribe("lobby")
    channel = f"{prefix}r:lobby"
    await until_subscribed(admin, channel)
    await admin.publish(channel, b"M" + OTHER_NODE + b"7 payload with spaces")
    await admin.publish(channel, b"P" + OTHER_NODE)
    await admin.publish(channel, b"P------------")  # from no node: Redis reaping a dead one
    await until(lambda: len(seen.presence) == 2)
    assert seen.delivered == [("lobby", 7, b"payload with spaces")]
    assert seen.presence == ["lobby", "lobby"]


async def test_a_malformed_message_is_logged_and_the_next_still_delivered(
    broker: RedisBroker,
    seen: Recorder,
    admin: aioredis.Redis,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker.subscribe("lobby")
    channel = f"{prefix}r:lobby"
    await until_subscribed(admin, channel)
    with caplog.at_level(logging.ERROR, logger="roomcast.broker.redis"):
        await admin.publish(channel, b"M" + OTHER_NODE + b"not-a-number payload")
        await admin.publish(channel, b"M" + OTHER_NODE + b"no-space")
        await admin.publish(channel, b"M" + OTHER_NODE + b"8 fine")
        await until(lambda: seen.delivered == [("lobby", 8, b"fine")])
    assert len([r for r in caplog.records if "not handled" in r.getMessage()]) == 2


async def test_a_node_id_has_twelve_characters_and_names_the_connections(
    admin: aioredis.Redis, prefix: str, seen: Recorder
) -> None:
    with pytest.raises(ValueError, match="12 characters"):
        RedisBroker(REDIS_URL, prefix=prefix, node="short")
    assert len(RedisBroker(REDIS_URL, prefix=prefix).node) == 12
    broker = RedisBroker(REDIS_URL, prefix=prefix, node="abcdefabcdef")
    await broker.start(seen)
    try:
        names = {entry["name"] for entry in await admin.client_list()}
        assert {"roomcast-abcdefabcdef-sub", "roomcast-abcdefabcdef-pub"} <= names
    finally:
        await broker.stop()
