"""The broker's round trip, measured: a node publishes a nonce on a control channel of its own
(``~n:<node>``) and times how long the broker takes to bring it back, for the admin page. With
Redis that is a real PUBLISH through the server and back on the node's subscription; with the
memory broker, the in-process hop."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Final

from roomcast.broker import Broker

PROBE_PREFIX: Final = "~n:"


def is_probe_channel(room: str) -> bool:
    return room.startswith(PROBE_PREFIX)


class BrokerProbe:
    """Round trips through the broker on this node's own control channel."""

    def __init__(self, broker: Broker, node: str) -> None:
        self._broker = broker
        self.channel = PROBE_PREFIX + node
        self._waiting: dict[bytes, asyncio.Future[None]] = {}
        self._subscribed = False

    async def round_trip(self, timeout: float) -> float | None:
        """Seconds a control event took to come back; None when it did not within ``timeout``."""
        if not self._subscribed:
            self._broker.subscribe(self.channel)
            self._subscribed = True
        nonce = secrets.token_hex(8).encode()
        arrived = self._waiting[nonce] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        try:
            self._broker.publish_control(self.channel, nonce)
            async with asyncio.timeout(timeout):  # wait_for of 3.11 can swallow a cancel
                await arrived
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(nonce, None)
        return time.perf_counter() - started

    def arrived(self, payload: bytes) -> None:
        """A probe came back from the broker."""
        waiting = self._waiting.get(payload)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)
