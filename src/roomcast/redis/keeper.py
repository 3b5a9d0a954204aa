"""A connection kept open: the base of the command client, the subscriber and the publisher.

Each of them owns one connection and a task of its own that opens it (again and again, with
backoff, until Redis answers), watches it with pings while it is up, and opens it anew once it
is lost, until the owner stops. ``timeout`` (the ``broker_timeout`` setting) bounds each step of
opening a connection and each ping, and is the time between two pings: a Redis that hangs
without closing (stopped, a dropped network path) is dropped within twice that.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable

from roomcast.redis.address import RedisAddress
from roomcast.redis.backoff import Backoff
from roomcast.redis.connection import (
    CALL_FAILED,
    OPEN_FAILED,
    TIMEOUT,
    RespConnection,
    answered,
)

log = logging.getLogger(__name__)


class KeptConnection(ABC):
    """One connection to ``address``, named ``name``, that ``_keep()`` keeps open from
    ``start()`` until ``_disconnect()``; ``timeout`` bounds every call on it."""

    task_name = "roomcast-redis"

    def __init__(self, address: RedisAddress, *, name: bytes, timeout: float = TIMEOUT) -> None:
        self._address = address
        self._name = name
        self.timeout = timeout
        self._connection: RespConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        if self._task is None:
            self._task = asyncio.create_task(self._keep(), name=self.task_name)

    @abstractmethod
    async def _keep(self) -> None:
        """Connect, and connect again whenever the connection is lost."""

    async def _disconnect(self) -> None:
        """Stop keeping the connection, and close it."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            # Cancelled until it ends: on Python 3.11 ``asyncio.wait_for`` swallows a
            # cancellation that comes as what it waits for completes (CPython gh-86296), as
            # when the connection is lost in the same moment, and the task would go on.
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=0.1)
            await asyncio.gather(task, return_exceptions=True)  # retrieves its outcome
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def reconnect(
    what: str,
    backoff: Backoff,
    address: RedisAddress,
    on_message: Callable[[bytes, bytes], None] | None = None,
    on_answered: Callable[[int], None] | None = None,
    *,
    name: bytes,
    encoding: str | None = None,
    timeout: float = TIMEOUT,
) -> RespConnection:
    """Open a connection (see ``RespConnection.open``), retrying with ``backoff`` until it is up;
    ``what`` names the connection in the log."""
    while True:
        try:
            connection = await RespConnection.open(
                address, on_message, on_answered, name=name, encoding=encoding, timeout=timeout
            )
        except OPEN_FAILED as exc:
            await backoff.retry(what, exc)
            continue
        return connection


async def watch(connection: RespConnection, timeout: float = TIMEOUT) -> None:
    """Return when ``connection`` is lost, or drop it and return when a ping, sent every
    ``timeout`` seconds, is not answered within ``timeout``."""
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(connection.lost), timeout)
            return
        except TimeoutError:
            pass
        try:
            await answered(connection.call(b"PING"), timeout)
        except CALL_FAILED as exc:
            log.warning("Redis connection not answering (%s); dropping it", exc)
            connection.close()
            await connection.lost
            return
