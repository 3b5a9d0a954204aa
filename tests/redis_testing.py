"""Fixtures of the unit tests of roomcast.redis, the Redis broker and the Redis presence: the
real Redis on this machine, never a fake. Each test directory's conftest imports them.

Each test gets connection names, keys and channels of its own (under ``prefix``), so it can cut
exactly its own connections with ``CLIENT KILL`` and leaves nothing behind. Redis is found at
``ROOMCAST_TEST_REDIS`` (default 127.0.0.1:6379); a test fails, naming it, when it is down.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from roomcast.redis.address import RedisAddress

REDIS_URL = os.environ.get("ROOMCAST_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def address() -> RedisAddress:
    return RedisAddress.from_url(REDIS_URL)


@pytest.fixture
def token() -> str:
    """A random tag of this test's own, for connection names, keys and channels."""
    return secrets.token_hex(4)


@pytest.fixture
def prefix(token: str) -> str:
    """This test's key and channel prefix; its keys are deleted afterwards."""
    return f"roomcast-test:{token}:"


@pytest.fixture
def name(token: str) -> bytes:
    """A connection name no other test uses."""
    return f"roomcast-test-{token}".encode()


@pytest.fixture
async def admin(prefix: str) -> AsyncIterator[aioredis.Redis]:
    """An independent client (redis-py) to look at and act on Redis; cleans up the test's keys."""
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield client
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def kill(admin: aioredis.Redis) -> Callable[[bytes], Awaitable[int]]:
    """Cut every connection named ``name`` from the server side; how many there were."""

    async def kill_named(name: bytes) -> int:
        killed = 0
        for entry in await admin.client_list():
            if entry["name"] == name.decode():
                await admin.client_kill_filter(_id=entry["id"])
                killed += 1
        return killed

    return kill_named


async def until(condition: Callable[[], object], timeout: float = 3.0) -> None:
    """Wait until ``condition()`` is true (an awaitable result is awaited), polling every 10 ms."""
    for _ in range(int(timeout / 0.01)):
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not reached within {timeout} s")


async def until_subscribed(admin: aioredis.Redis, channel: str | bytes, count: int = 1) -> None:
    """Wait until ``count`` connections subscribe to ``channel``."""

    async def subscribed() -> bool:
        return bool((await admin.pubsub_numsub(channel))[0][1] == count)

    await until(subscribed)
