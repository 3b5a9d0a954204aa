"""RedisClient against the real Redis: shared pipelined calls, reconnecting after ``CLIENT KILL``,
scripts by SHA and their reload after ``SCRIPT FLUSH``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import hiredis
import pytest
import redis.asyncio as aioredis

from roomcast.redis.address import RedisAddress
from roomcast.redis.client import RedisClient
from roomcast.redis.scripts import Script


@pytest.fixture
async def client(address: RedisAddress, name: bytes) -> AsyncIterator[RedisClient]:
    client = RedisClient(address, name=name, timeout=2.0)
    client.start()
    assert await client.wait_connected(3.0)
    yield client
    await client.stop()


async def test_calls_fail_at_once_while_not_connected(address: RedisAddress, name: bytes) -> None:
    client = RedisClient(address, name=name)
    with pytest.raises(ConnectionError, match="not connected"):
        await client.call(b"PING")
    client.start()
    assert await client.wait_connected(3.0)
    await client.stop()
    with pytest.raises(ConnectionError, match="not connected"):
        await client.call(b"PING")


async def test_arguments_of_any_kind_are_sent_as_text_and_replies_are_text(
    client: RedisClient, token: str
) -> None:
    key = f"roomcast-test:{token}:h"
    assert await client.call("HSET", key, "int", 7, "float", 1.5, b"bytes", b"\xc3\xa9") == 3
    assert await client.call("HGETALL", key) == ["int", "7", "float", "1.5", "bytes", "é"]


async def test_calls_from_many_tasks_are_answered_in_the_order_made(
    client: RedisClient, token: str
) -> None:
    key = f"roomcast-test:{token}:n"
    replies = await asyncio.gather(*(client.call("INCR", key) for _ in range(200)))
    assert replies == list(range(1, 201))


async def test_the_client_reconnects_after_its_connection_is_killed(
    client: RedisClient, name: bytes, kill: Callable[[bytes], Awaitable[int]]
) -> None:
    assert await kill(name) == 1
    async with asyncio.timeout(5):
        while True:
            try:
                assert await client.call("PING") == "PONG"
                break
            except ConnectionError:
                await asyncio.sleep(0.02)
    assert await client.wait_connected(0)
    assert await kill(name) == 1  # a new connection, under the same name


async def test_a_script_runs_by_sha_once_redis_knows_it(
    client: RedisClient, admin: aioredis.Redis, token: str
) -> None:
    script = Script(f"-- {token}\nreturn ARGV[1] .. ARGV[2]")
    assert await admin.script_exists(script.sha.decode()) == [False]
    assert await client.run(script, "a", 1) == "a1"  # NOSCRIPT, then EVAL, which caches it
    assert await admin.script_exists(script.sha.decode()) == [True]
    assert await client.run(script, "b", 2) == "b2"


async def test_a_script_is_sent_again_after_script_flush(
    client: RedisClient, admin: aioredis.Redis, token: str
) -> None:
    script = Script(f"-- {token}\nreturn #ARGV")
    assert await client.run(script, "x") == 1
    await admin.script_flush()
    assert await admin.script_exists(script.sha.decode()) == [False]
    assert await client.run(script, "x", "y") == 2
    assert await admin.script_exists(script.sha.decode()) == [True]


async def test_a_scripts_own_error_is_raised_not_retried(client: RedisClient) -> None:
    script = Script("return redis.error_reply('BROKEN on purpose')")
    with pytest.raises(hiredis.ReplyError, match="BROKEN on purpose"):
        await client.run(script)


async def test_a_stopped_client_is_not_connected(address: RedisAddress, name: bytes) -> None:
    client = RedisClient(address, name=name)
    client.start()
    assert await client.wait_connected(3.0)
    await client.stop()
    assert not await client.wait_connected(0.05)
