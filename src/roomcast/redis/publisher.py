"""The publishing connection: ``PUBLISH`` commands queued, batched and never lost to a reconnect.

A publication is ``publish_head(channel)``, which the caller keeps for each channel it uses
rather than encode it for every message, followed by the message. Publications of one event-loop
iteration go out in one write; each stays queued until Redis has answered it, so a connection
lost mid-flight re-sends it after reconnecting (whoever receives must therefore take a repeat in
its stride). While Redis cannot be reached or does not answer, at most ``max_queued``
publications of at most ``max_bytes`` bytes in all wait; beyond either the oldest are dropped
(the nodes that miss them catch up from the store after their subscription comes back), and
counted in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Final

from roomcast.outage import OutageLog
from roomcast.redis.address import RedisAddress
from roomcast.redis.backoff import Backoff
from roomcast.redis.connection import CALL_FAILED, TIMEOUT
from roomcast.redis.keeper import KeptConnection, reconnect, watch

log = logging.getLogger(__name__)

MAX_QUEUED: Final = 100_000
MAX_QUEUED_BYTES: Final = 64 * 1024 * 1024


def publish_head(channel: bytes) -> bytes:
    """The start of a PUBLISH command to ``channel`` in RESP; the message follows."""
    return b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n" % (len(channel), channel)


class Publisher(KeptConnection):
    """One Redis connection for ``PUBLISH`` only, re-made by itself when lost."""

    task_name = "roomcast-redis-pub"

    def __init__(
        self,
        address: RedisAddress,
        *,
        name: bytes,
        timeout: float = TIMEOUT,
        max_queued: int = MAX_QUEUED,
        max_bytes: int = MAX_QUEUED_BYTES,
    ) -> None:
        super().__init__(address, name=name, timeout=timeout)
        self._max_queued = max_queued
        self._max_bytes = max_bytes
        # Encoded PUBLISH commands: not yet written, and written but not yet confirmed; and
        # the bytes of both together.
        self._unsent: deque[bytes] = deque()
        self._unanswered: deque[bytes] = deque()
        self._bytes = 0
        self._flush_scheduled = False
        self._outage = OutageLog("Redis (publishing)", log, counted="publications dropped")

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.connected

    async def stop(self) -> None:
        """Send what is queued (for up to a second), then disconnect."""
        self._stopping = True
        connection = self._connection
        if connection is not None and connection.connected and self._unsent:
            self._flush()
            with contextlib.suppress(*CALL_FAILED):
                await asyncio.wait_for(connection.call(b"PING"), 1.0)
        await self._disconnect()

    def publish(self, head: bytes, data: bytes) -> None:
        """Queue ``data`` for the channel of ``head`` (``publish_head(channel)``); it goes out
        at the end of this event-loop iteration."""
        unsent = self._unsent
        command = b"%s$%d\r\n%s\r\n" % (head, len(data), data)
        unsent.append(command)
        self._bytes += len(command)
        if len(unsent) + len(self._unanswered) > self._max_queued or self._bytes > self._max_bytes:
            self._drop_oldest()
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write every publication of this loop iteration in one write."""
        self._flush_scheduled = False
        connection = self._connection
        if connection is None or not connection.connected or not self._unsent:
            return
        batch, self._unsent = self._unsent, deque()
        self._unanswered.extend(batch)
        connection.write(b"".join(batch), len(batch))

    def _drop_oldest(self) -> None:
        """Drop the oldest of the unsent publications until the queue, written but unconfirmed
        ones included (a hung Redis confirms nothing), is within its bounds again."""
        dropped = 0
        while self._unsent and (
            len(self._unsent) + len(self._unanswered) > self._max_queued
            or self._bytes > self._max_bytes
        ):
            self._bytes -= len(self._unsent.popleft())
            dropped += 1
        if dropped:
            self._outage.failed(
                f"more than {self._max_queued} publications or {self._max_bytes} bytes wait",
                dropped,
            )

    def _answered(self, count: int) -> None:
        unanswered = self._unanswered
        for _ in range(min(count, len(unanswered))):
            self._bytes -= len(unanswered.popleft())

    def _requeue_unanswered(self) -> None:
        """The connection is gone: what it did not confirm goes out again, first."""
        self._unanswered.extend(self._unsent)
        self._unsent, self._unanswered = self._unanswered, deque()

    async def _keep(self) -> None:
        backoff = Backoff()
        while not self._stopping:
            connection = await reconnect(
                "Redis publish connection",
                backoff,
                self._address,
                None,
                self._answered,
                name=self._name,
                timeout=self.timeout,
            )
            backoff.reset()
            self._connection = connection
            self._outage.ok()
            self._flush()
            await watch(connection, self.timeout)
            self._connection = None
            self._requeue_unanswered()
            if not self._stopping:
                self._outage.failed("the publish connection was lost", 0)
