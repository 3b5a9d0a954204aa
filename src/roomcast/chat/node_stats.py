"""This node's numbers for the server admin page, and every node's, through the store.

Every ``INTERVAL`` seconds a node measures its store and broker round trips, works out its
message rates over the interval and writes its numbers as JSON to the store's ``node_stats``
(one row per node). The nodes of a deployment share the store (PostgreSQL when there are
several), so any node's admin page lists them all: a node that stopped writing drops out after
``FRESH_MS``. The node answering a request puts in its own numbers as they are at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any, Final

import orjson

from roomcast import __version__
from roomcast.chat.hub import Hub
from roomcast.clock import Clock
from roomcast.outage import OutageLog
from roomcast.wire import protocol

log = logging.getLogger(__name__)

INTERVAL: Final = 2.0
# A node whose numbers are older than this has stopped (or cannot reach the store).
FRESH_MS: Final = 10_000
# Longest wait for a round trip: past it, the store or the broker counts as down.
PROBE_TIMEOUT: Final = 2.0


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


class NodeStats:
    """Measures and publishes this node's numbers; reads every node's."""

    def __init__(self, hub: Hub, connections: Callable[[], int], clock: Clock) -> None:
        self._hub = hub
        self._connections = connections
        self._clock = clock
        self.node = f"{socket.gethostname()}:{os.getpid()}:{hub.probe.channel[-4:]}"
        self._started_ms = clock.now_ms()
        self._last = (time.monotonic(), 0, 0)  # when, messages received, messages delivered
        self._rates = (0.0, 0.0)
        self._store_ms: float | None = None
        self._broker_ms: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._outage = OutageLog(
            "the store (node numbers)",
            log,
            counted="rounds not recorded",
            monotonic=clock.monotonic,
        )

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="node-stats")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self.report_round()
            await asyncio.sleep(INTERVAL)

    async def report_round(self) -> None:
        """One report; a failure is an outage of the store, logged as one (the next round tries
        again)."""
        try:
            await self.report()
        except Exception as exc:
            log.debug("could not record this node's numbers: %s", exc)
            self._outage.failed(exc)
            return
        self._outage.ok()

    async def measure(self) -> None:
        """Time a store read and a broker round trip; work out the rates since the last time."""
        hub = self._hub
        started = time.perf_counter()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await hub.store.last_id(protocol.DEFAULT_ROOM)
            self._store_ms = _ms(time.perf_counter() - started)
        except Exception:
            self._store_ms = None
        self._broker_ms = _ms(await hub.probe.round_trip(PROBE_TIMEOUT))
        now = time.monotonic()
        then, received, delivered = self._last
        counts = hub.metrics
        elapsed = max(now - then, 1e-6)
        self._rates = (
            (counts.messages_received - received) / elapsed,
            (counts.messages_delivered - delivered) / elapsed,
        )
        self._last = (now, counts.messages_received, counts.messages_delivered)

    async def report(self) -> None:
        """Measure, then write this node's numbers to the store."""
        await self.measure()
        snapshot = self.snapshot()
        await self._hub.store.put_node_stats(
            self.node, snapshot["seen_ms"], orjson.dumps(snapshot).decode()
        )

    def snapshot(self) -> dict[str, Any]:
        """This node's numbers now (the round trips and rates of the last measurement)."""
        hub, counts = self._hub, self._hub.metrics
        return {
            "node": self.node,
            "version": __version__,
            "started_ms": self._started_ms,
            "seen_ms": self._clock.now_ms(),
            "connections": self._connections(),
            "members": hub.member_count,
            "rooms": hub.local_rooms(),
            "messages_received": counts.messages_received,
            "messages_delivered": counts.messages_delivered,
            "messages_per_second": round(self._rates[0], 2),
            "delivered_per_second": round(self._rates[1], 2),
            "slow_consumers_dropped": counts.slow_consumers_dropped,
            "store": {"healthy": self._store_ms is not None, "latency_ms": self._store_ms},
            "broker": {
                "healthy": hub.broker.healthy and self._broker_ms is not None,
                "latency_ms": self._broker_ms,
            },
        }

    async def nodes(self) -> list[dict[str, Any]]:
        """Every live node's numbers, this node's as they are now, by node."""
        found = {self.node: self.snapshot()}
        try:
            recorded = await self._hub.store.node_stats(self._clock.now_ms() - FRESH_MS)
        except Exception as exc:  # the page still shows this node
            log.warning("could not read the nodes' numbers: %s", exc)
            recorded = []
        for node, _, stats in recorded:
            if node != self.node:
                found[node] = orjson.loads(stats)
        return [found[node] for node in sorted(found)]
