"""Keeping a connection against the real Redis: watching it until it is lost, and opening it
again with backoff until Redis answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from roomcast.redis.address import RedisAddress
from roomcast.redis.backoff import BACKOFF_FIRST, Backoff
from roomcast.redis.client import RedisClient
from roomcast.redis.connection import RespConnection
from roomcast.redis.keeper import reconnect, watch

# No server listens on port 1: connecting there is refused at once.
NOWHERE = RedisAddress(host="127.0.0.1", port=1, username=None, password=None, tls=False)


async def test_watch_returns_when_the_connection_is_lost(
    address: RedisAddress, name: bytes, kill: Callable[[bytes], Awaitable[int]]
) -> None:
    connection = await RespConnection.open(address, name=name)
    watching = asyncio.create_task(watch(connection))
    await asyncio.sleep(0.05)
    assert not watching.done()
    await kill(name)
    await asyncio.wait_for(watching, 2)


async def test_reconnect_retries_with_backoff_until_redis_answers(
    address: RedisAddress, name: bytes
) -> None:
    backoff = Backoff()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reconnect("test", backoff, NOWHERE, name=name), 0.3)
    assert backoff.delay > BACKOFF_FIRST
    connection = await reconnect("test", backoff, address, name=name)
    try:
        assert await connection.call(b"PING") == b"PONG"
    finally:
        connection.close()


async def test_stop_ends_even_when_the_connection_is_lost_in_the_same_moment(
    address: RedisAddress, name: bytes, kill: Callable[[bytes], Awaitable[int]]
) -> None:
    """The loss wakes the task's ``wait_for`` as the stop cancels it: on Python 3.11 that
    cancellation can be swallowed, and stopping must still end the task."""
    for _ in range(30):
        client = RedisClient(address, name=name)
        client.start()
        assert await client.wait_connected(3.0)
        assert await kill(name) == 1
        await asyncio.wait_for(client.stop(), 3.0)
