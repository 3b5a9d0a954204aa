"""The command client: Redis calls and their replies over one pipelined, self-healing connection."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import hiredis

from roomcast.redis.address import RedisAddress
from roomcast.redis.backoff import Backoff
from roomcast.redis.connection import TIMEOUT, answered
from roomcast.redis.keeper import KeptConnection, reconnect, watch
from roomcast.redis.scripts import Script


class RedisClient(KeptConnection):
    """Redis commands over one pipelined connection that re-connects by itself.

    Calls from any number of tasks share the connection: each writes its command at once and
    waits for its own reply, and Redis runs them in the order they were made. While the
    connection is down, calls fail at once with ``ConnectionError``. Bulk replies are ``str``.
    """

    def __init__(self, address: RedisAddress, *, name: bytes, timeout: float = TIMEOUT) -> None:
        super().__init__(address, name=name, timeout=timeout)
        self._connected = asyncio.Event()

    async def stop(self) -> None:
        await self._disconnect()
        self._connected.clear()

    async def wait_connected(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the connection; whether it is up."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout)
        return self._connected.is_set()

    async def call(self, *parts: bytes | str | int | float) -> Any:
        """Run one command; raises ``ConnectionError``, ``TimeoutError`` or the reply's error."""
        connection = self._connection
        if connection is None or not connection.connected:
            raise ConnectionError("Redis is not connected")
        encoded = [p if isinstance(p, bytes) else str(p).encode() for p in parts]
        return await answered(connection.call(*encoded), self.timeout)

    async def run(self, script: Script, *args: bytes | str | int | float) -> Any:
        """Run a Lua script (no declared keys) with ``args`` as ARGV."""
        try:
            return await self.call(b"EVALSHA", script.sha, 0, *args)
        except hiredis.ReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.call(b"EVAL", script.source, 0, *args)

    async def _keep(self) -> None:
        backoff = Backoff()
        while True:
            connection = await reconnect(
                "Redis connection",
                backoff,
                self._address,
                name=self._name,
                encoding="utf-8",
                timeout=self.timeout,
            )
            backoff.reset()
            self._connection = connection
            self._connected.set()
            await watch(connection, self.timeout)
            self._connected.clear()
            self._connection = None
