"""The subscribed connection: a set of channels kept subscribed across reconnects.

Messages go straight from the connection's parser to ``on_message(channel, data)``, with nothing
in between. ``ready`` is true only while the connection is up and every subscription has been
confirmed; after a lost connection comes back and its channels are subscribed again,
``on_restored()`` runs, so the owner can catch up on what it missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from roomcast.redis.address import RedisAddress
from roomcast.redis.backoff import Backoff
from roomcast.redis.connection import CALL_FAILED, TIMEOUT, answered, encode_command
from roomcast.redis.keeper import KeptConnection, reconnect, watch

log = logging.getLogger(__name__)


class Subscriber(KeptConnection):
    """One Redis connection in subscribed mode that re-connects and re-subscribes by itself."""

    task_name = "roomcast-redis-sub"

    def __init__(
        self,
        address: RedisAddress,
        *,
        name: bytes,
        on_message: Callable[[bytes, bytes], None],
        on_restored: Callable[[], None],
        timeout: float = TIMEOUT,
    ) -> None:
        super().__init__(address, name=name, timeout=timeout)
        self._on_message = on_message
        self._on_restored = on_restored
        self._channels: set[bytes] = set()
        self._ready = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every subscription to be confirmed; whether it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self.ready

    async def stop(self) -> None:
        """Disconnect and forget every channel."""
        await self._disconnect()
        self._ready.clear()
        self._channels.clear()

    def subscribe(self, channel: bytes) -> None:
        if channel in self._channels:
            return
        self._channels.add(channel)
        self._send(b"SUBSCRIBE", channel)

    def unsubscribe(self, channel: bytes) -> None:
        if channel not in self._channels:
            return
        self._channels.remove(channel)
        self._send(b"UNSUBSCRIBE", channel)

    def _send(self, command: bytes, channel: bytes) -> None:
        """Write now if connected; otherwise the next connection subscribes to every channel."""
        if self._connection is not None and self._connection.connected:
            self._connection.write(encode_command(command, channel))

    async def _keep(self) -> None:
        backoff = Backoff()
        connected_before = False
        while not self._stopping:
            connection = await reconnect(
                "Redis subscribe connection",
                backoff,
                self._address,
                self._on_message,
                name=self._name,
                timeout=self.timeout,
            )
            self._connection = connection
            try:
                if self._channels:
                    connection.write(encode_command(b"SUBSCRIBE", *self._channels))
                # In subscribed mode PING answers after every earlier SUBSCRIBE is confirmed.
                await answered(connection.call(b"PING"), self.timeout)
            except CALL_FAILED as exc:
                log.warning("Redis subscribe failed (retrying): %s", exc)
                connection.close()
                self._connection = None
                await backoff.sleep()
                continue
            self._ready.set()
            backoff.reset()
            if connected_before:
                log.info("Redis subscription restored (%d channels)", len(self._channels))
                self._on_restored()
            connected_before = True
            await watch(connection, self.timeout)
            self._ready.clear()
            self._connection = None
            if not self._stopping:
                log.warning("Redis subscription lost; reconnecting")
