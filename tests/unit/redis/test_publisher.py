"""Publisher against the real Redis: order, the command a head makes, the queue bound,
re-sending after the connection is killed, and draining on stop."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from redis_testing import until, until_subscribed
from roomcast.redis.address import RedisAddress
from roomcast.redis.connection import encode_command
from roomcast.redis.publisher import Publisher, publish_head


class Listening:
    """A redis-py subscriber on the test's channels, gathering ``(channel, data)`` in order."""

    def __init__(self, pubsub: aioredis.client.PubSub) -> None:
        self.pubsub = pubsub
        self.got: list[tuple[bytes, bytes]] = []

    async def until(self, count: int, timeout: float = 5.0) -> list[tuple[bytes, bytes]]:
        async with asyncio.timeout(timeout):
            while len(self.got) < count:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if message is not None:
                    self.got.append((message["channel"], message["data"]))
        return self.got


@pytest.fixture
def channel_of(token: str) -> Callable[[str], bytes]:
    """The test's channel called ``key``."""
    return lambda key: f"roomcast-test:{token}:{key}".encode()


@pytest.fixture
def head_of(channel_of: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """The publish head of the test's channel called ``key``."""
    return lambda key: publish_head(channel_of(key))


@pytest.fixture
async def listening(
    admin: aioredis.Redis, channel_of: Callable[[str], bytes]
) -> AsyncIterator[Listening]:
    pubsub = admin.pubsub()
    await pubsub.subscribe(channel_of("a"), channel_of("b"))
    for key in ("a", "b"):
        await until_subscribed(admin, channel_of(key))
    yield Listening(pubsub)
    await pubsub.aclose()


@pytest.fixture
async def make_publisher(
    address: RedisAddress, name: bytes
) -> AsyncIterator[Callable[..., Publisher]]:
    made: list[Publisher] = []

    def make(**options: int) -> Publisher:
        publisher = Publisher(address, name=name, **options)
        made.append(publisher)
        return publisher

    yield make
    for publisher in made:
        await publisher.stop()


async def connected(publisher: Publisher) -> None:
    await until(lambda: publisher.connected)


async def test_publications_arrive_in_order_on_their_keys_channels(
    make_publisher: Callable[..., Publisher],
    listening: Listening,
    channel_of: Callable[[str], bytes],
    head_of: Callable[[str], bytes],
) -> None:
    publisher = make_publisher()
    publisher.start()
    await connected(publisher)
    for n in range(100):
        publisher.publish(head_of("a" if n % 3 else "b"), b"%d" % n)
    got = await listening.until(100)
    assert got == [(channel_of("a" if n % 3 else "b"), b"%d" % n) for n in range(100)]


def test_a_head_and_its_message_make_one_publish_command() -> None:
    data = b"x\r\ny"
    command = publish_head(b"chan") + b"$%d\r\n%s\r\n" % (len(data), data)
    assert command == encode_command(b"PUBLISH", b"chan", data)


async def test_publications_wait_for_the_connection_and_the_oldest_are_dropped(
    make_publisher: Callable[..., Publisher],
    listening: Listening,
    channel_of: Callable[[str], bytes],
    head_of: Callable[[str], bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="roomcast.redis.publisher")
    publisher = make_publisher(max_queued=3)
    for n in range(5):
        publisher.publish(head_of("a"), b"%d" % n)  # not started: nothing can go out yet
    await asyncio.sleep(0.05)
    assert listening.got == []
    publisher.start()
    await connected(publisher)
    got = await listening.until(3)
    assert got == [(channel_of("a"), b"%d" % n) for n in (2, 3, 4)]
    logged = [r.getMessage() for r in caplog.records if r.name == "roomcast.redis.publisher"]
    assert logged[0] == ("Redis (publishing) lost: more than 3 publications or 67108864 bytes wait")
    assert re.fullmatch(
        r"Redis \(publishing\) reachable again after [0-9.]+ s, 2 publications dropped", logged[1]
    )
    assert len(logged) == 2


async def test_the_oldest_publications_are_dropped_beyond_the_bytes_bound(
    make_publisher: Callable[..., Publisher],
    listening: Listening,
    channel_of: Callable[[str], bytes],
    head_of: Callable[[str], bytes],
) -> None:
    data = [b"%d" % n + b"x" * 1000 for n in range(5)]
    size = len(head_of("a") + b"$%d\r\n%s\r\n" % (len(data[0]), data[0]))
    publisher = make_publisher(max_bytes=3 * size)
    for item in data:
        publisher.publish(head_of("a"), item)  # not started: nothing can go out yet
    publisher.start()
    await connected(publisher)
    got = await listening.until(3)
    assert got == [(channel_of("a"), item) for item in data[2:]]


async def test_what_was_not_confirmed_is_sent_again_after_the_connection_is_killed(
    make_publisher: Callable[..., Publisher],
    listening: Listening,
    name: bytes,
    kill: Callable[[bytes], Awaitable[int]],
    head_of: Callable[[str], bytes],
) -> None:
    publisher = make_publisher()
    publisher.start()
    await connected(publisher)
    assert await kill(name) == 1
    for n in range(50):
        publisher.publish(head_of("a"), b"%d" % n)
    async with asyncio.timeout(5):
        while len({data for _, data in listening.got}) < 50:
            await listening.until(len(listening.got) + 1)
    firsts = list(dict.fromkeys(int(data) for _, data in listening.got))
    assert firsts == list(range(50))  # maybe repeated, never lost, first arrivals in order


async def test_stop_sends_what_is_queued(
    make_publisher: Callable[..., Publisher],
    listening: Listening,
    head_of: Callable[[str], bytes],
) -> None:
    publisher = make_publisher()
    publisher.start()
    await connected(publisher)
    for n in range(20):
        publisher.publish(head_of("b"), b"%d" % n)
    await publisher.stop()  # before the loop iteration that would have sent them
    assert not publisher.connected
    assert [data for _, data in await listening.until(20)] == [b"%d" % n for n in range(20)]
