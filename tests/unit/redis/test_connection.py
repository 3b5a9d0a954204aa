"""RespConnection against the real Redis: RESP both ways, pipelining, pub/sub pushes, login and
database selection, a connection cut by the server."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import hiredis
import pytest
import redis.asyncio as aioredis

from redis_testing import until
from roomcast.redis.address import RedisAddress
from roomcast.redis.connection import RespConnection, encode_command

# No server listens on port 1: connecting there is refused at once.
NOWHERE = RedisAddress(host="127.0.0.1", port=1, username=None, password=None, tls=False)


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert encode_command(b"SET", b"k", b"a\r\nb") == (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n"
    )
    assert encode_command(b"PING") == b"*1\r\n$4\r\nPING\r\n"


async def test_replies_of_every_kind_come_back_as_python_values(
    address: RedisAddress, name: bytes, token: str
) -> None:
    connection = await RespConnection.open(address, name=name)
    key = f"roomcast-test:{token}:k".encode()
    value = bytes(range(256)) + b"\r\n$3\r\n"  # binary, and bytes that look like RESP
    try:
        assert await connection.call(b"SET", key, value) == b"OK"
        assert await connection.call(b"GET", key) == value
        assert await connection.call(b"STRLEN", key) == len(value)
        assert await connection.call(b"GET", key + b":missing") is None
        list_key = key + b":list"
        await connection.call(b"RPUSH", list_key, b"a", b"b", b"")
        assert await connection.call(b"LRANGE", list_key, b"0", b"-1") == [b"a", b"b", b""]
        with pytest.raises(hiredis.ReplyError, match="WRONGTYPE"):
            await connection.call(b"GET", list_key)
        assert await connection.call(b"PING") == b"PONG"  # an error leaves the connection usable
    finally:
        connection.close()


async def test_with_an_encoding_bulk_replies_are_text(
    address: RedisAddress, name: bytes, token: str
) -> None:
    connection = await RespConnection.open(address, name=name, encoding="utf-8")
    key = f"roomcast-test:{token}:k".encode()
    try:
        await connection.call(b"SET", key, "grüß".encode())
        assert await connection.call(b"GET", key) == "grüß"
    finally:
        connection.close()


async def test_pipelined_replies_are_counted_then_the_waiter_answered_in_order(
    address: RedisAddress, name: bytes, token: str
) -> None:
    answered: list[int] = []
    connection = await RespConnection.open(address, None, answered.append, name=name)
    key = f"roomcast-test:{token}:n".encode()
    try:
        connection.write(b"".join([encode_command(b"INCR", key)] * 100), 100)
        assert await connection.call(b"GET", key) == b"100"
        assert sum(answered) == 100
    finally:
        connection.close()


async def test_a_subscribed_connection_pushes_messages_and_answers_ping(
    address: RedisAddress, name: bytes, token: str, admin: aioredis.Redis
) -> None:
    messages: list[tuple[bytes, bytes]] = []
    connection = await RespConnection.open(address, lambda c, d: messages.append((c, d)), name=name)
    channel = f"roomcast-test:{token}:channel".encode()
    try:
        connection.write(encode_command(b"SUBSCRIBE", channel))
        # The subscribe confirmation is skipped; PING's reply comes once it is confirmed.
        assert await connection.call(b"PING") == [b"pong", b""]
        assert await admin.publish(channel, b"one") == 1
        assert await admin.publish(channel, b"two") == 1
        await until(lambda: len(messages) == 2)
        assert messages == [(channel, b"one"), (channel, b"two")]
    finally:
        connection.close()


async def test_the_connection_is_named_and_selects_the_urls_database(
    address: RedisAddress, name: bytes, token: str, admin: aioredis.Redis
) -> None:
    connection = await RespConnection.open(dataclasses.replace(address, db=1), name=name)
    key = f"roomcast-test:{token}:in-db-1"
    try:
        assert name.decode() in [entry["name"] for entry in await admin.client_list()]
        await connection.call(b"SET", key.encode(), b"x")
        assert await admin.exists(key) == 0
        db1 = aioredis.Redis.from_url(f"redis://{address.host}:{address.port}/1")
        assert await db1.getdel(key) == b"x"
        await db1.aclose()
    finally:
        connection.close()


async def test_opening_fails_when_nobody_listens_or_the_login_is_refused(
    address: RedisAddress, name: bytes
) -> None:
    with pytest.raises(ConnectionRefusedError):
        await RespConnection.open(NOWHERE, name=name)
    # This Redis has no password: AUTH with one is an error, and the connection is not kept.
    with pytest.raises(hiredis.ReplyError):
        await RespConnection.open(dataclasses.replace(address, password="wrong"), name=name)


async def test_a_connection_cut_by_the_server_fails_what_waits_and_refuses_writes(
    address: RedisAddress, name: bytes, kill: Callable[[bytes], Awaitable[int]]
) -> None:
    connection = await RespConnection.open(address, name=name)
    pending = connection.call(b"BLPOP", b"roomcast-test:never", b"0")  # waits for ever
    await asyncio.sleep(0.05)
    assert await kill(name) == 1
    with pytest.raises(ConnectionError, match="lost"):
        await asyncio.wait_for(pending, 2)
    await asyncio.wait_for(connection.lost, 2)
    assert not connection.connected
    with pytest.raises(ConnectionError, match="closed"):
        connection.write(encode_command(b"PING"))
