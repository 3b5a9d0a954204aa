"""Subscriber against the real Redis: channels subscribed, dropped, and restored after the
connection is killed; readiness follows the connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from redis_testing import until
from roomcast.redis.address import RedisAddress
from roomcast.redis.subscriber import Subscriber


@dataclass
class Heard:
    """What a subscriber passed on."""

    messages: list[tuple[bytes, bytes]] = field(default_factory=list)
    restored: int = 0

    def message(self, channel: bytes, data: bytes) -> None:
        self.messages.append((channel, data))

    def restore(self) -> None:
        self.restored += 1


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
async def subscriber(address: RedisAddress, name: bytes, heard: Heard) -> AsyncIterator[Subscriber]:
    subscriber = Subscriber(address, name=name, on_message=heard.message, on_restored=heard.restore)
    yield subscriber
    await subscriber.stop()


async def test_channels_chosen_before_start_are_subscribed_when_ready(
    subscriber: Subscriber, heard: Heard, admin: aioredis.Redis, token: str
) -> None:
    channel = f"roomcast-test:{token}:a".encode()
    subscriber.subscribe(channel)
    assert not subscriber.ready
    subscriber.start()
    assert await subscriber.wait_ready(3.0)
    assert await admin.publish(channel, b"hello") == 1
    await until(lambda: heard.messages == [(channel, b"hello")])


async def test_subscribing_and_unsubscribing_while_connected(
    subscriber: Subscriber, heard: Heard, admin: aioredis.Redis, token: str
) -> None:
    one, two = (f"roomcast-test:{token}:{n}".encode() for n in ("one", "two"))
    subscriber.start()
    assert await subscriber.wait_ready(3.0)
    subscriber.subscribe(one)
    subscriber.subscribe(one)  # twice is once
    subscriber.subscribe(two)
    await until_subscribed(admin, one, 1)
    await until_subscribed(admin, two, 1)
    subscriber.unsubscribe(two)
    subscriber.unsubscribe(two)
    await until_subscribed(admin, two, 0)
    assert await admin.publish(one, b"kept") == 1
    assert await admin.publish(two, b"dropped") == 0
    await until(lambda: heard.messages == [(one, b"kept")])


async def until_subscribed(admin: aioredis.Redis, channel: bytes, count: int) -> None:
    async def subscribers_are(count: int) -> bool:
        return bool((await admin.pubsub_numsub(channel))[0][1] == count)

    await until(lambda: subscribers_are(count))


async def test_a_killed_connection_comes_back_subscribed_and_says_so(
    subscriber: Subscriber,
    heard: Heard,
    name: bytes,
    admin: aioredis.Redis,
    kill: Callable[[bytes], Awaitable[int]],
    token: str,
) -> None:
    channel = f"roomcast-test:{token}:c".encode()
    subscriber.subscribe(channel)
    subscriber.start()
    assert await subscriber.wait_ready(3.0)
    assert heard.restored == 0  # the first connection restores nothing
    assert await kill(name) == 1
    await until(lambda: heard.restored == 1)
    assert subscriber.ready
    assert await admin.publish(channel, b"after") == 1
    await until(lambda: heard.messages == [(channel, b"after")])


async def test_stop_disconnects_and_forgets_the_channels(
    subscriber: Subscriber, name: bytes, admin: aioredis.Redis, token: str
) -> None:
    channel = f"roomcast-test:{token}:s".encode()
    subscriber.subscribe(channel)
    subscriber.start()
    assert await subscriber.wait_ready(3.0)
    await subscriber.stop()
    assert not subscriber.ready
    await until_subscribed(admin, channel, 0)
    subscriber.start()
    assert await subscriber.wait_ready(3.0)
    assert await admin.publish(channel, b"x") == 0
