"""A sampler of event-loop lag: it sleeps a fixed interval and records how late it woke up."""

from __future__ import annotations

import asyncio
import contextlib
import time

from roomcast.ops.metrics import Histogram


class LoopLagSampler:
    """Observes, every ``interval`` seconds, the overshoot of its sleep into ``histogram``."""

    def __init__(self, histogram: Histogram, interval: float = 0.1) -> None:
        self._histogram = histogram
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin sampling in the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        """Stop sampling and wait for the task to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self._interval)
            self._histogram.observe(max(0.0, time.perf_counter() - before - self._interval))
