"""The chat domain's background work: tasks the node's shutdown waits for, and the flag that
stops new timers once it has begun."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Background:
    """Tasks spawned by the registry, the sequencer, user lists and moderation."""

    __slots__ = ("_tasks", "closing")

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.closing = False

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` in the background; ``wait`` waits for it."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for the tasks still running."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
