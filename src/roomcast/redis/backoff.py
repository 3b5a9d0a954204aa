"""How long to wait between attempts to reach Redis again after a connection failed."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Final

log = logging.getLogger(__name__)

BACKOFF_FIRST: Final = 0.05
BACKOFF_MAX: Final = 2.0


class Backoff:
    """Waits between reconnect attempts: doubling from ``BACKOFF_FIRST`` to ``BACKOFF_MAX``,
    each with jitter, so nodes that lost Redis together do not all come back at once."""

    __slots__ = ("delay",)

    def __init__(self) -> None:
        self.delay = BACKOFF_FIRST

    def reset(self) -> None:
        self.delay = BACKOFF_FIRST

    async def sleep(self) -> None:
        await asyncio.sleep(self.delay * (0.5 + random.random()))
        self.delay = min(self.delay * 2, BACKOFF_MAX)

    async def retry(self, what: str, exc: BaseException) -> None:
        """Log a failed attempt (a warning once per outage; the retries that follow are
        routine) and wait before the next."""
        level = logging.WARNING if self.delay == BACKOFF_FIRST else logging.DEBUG
        log.log(level, "%s failed (retrying): %s", what, exc)
        await self.sleep()
