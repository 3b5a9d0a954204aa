"""A dependency's outage told in a few log lines, however many calls it refuses.

One ``OutageLog`` per dependency (the message store, Redis): the first failure writes one WARNING
with what failed; while the dependency stays down a failure writes one summary line at most every
``SUMMARY_EVERY`` seconds, with how many lines or calls were refused since the previous line; the
first success after writes one line with how long the outage lasted and how many were refused in
all. Each failure's own detail is for the caller to log at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

SUMMARY_EVERY: Final = 10.0
"""Seconds between two summary lines while a dependency stays down."""


class OutageLog:
    """Logs when ``name`` is lost, how it goes while it is down, and when it is back.

    ``counted`` names what a failure's count counts, as in "534 lines refused"; ``monotonic``
    reads the time in seconds (tests pass a fake clock's).
    """

    __slots__ = (
        "_counted",
        "_every",
        "_last_line",
        "_log",
        "_monotonic",
        "_name",
        "_pending",
        "_since",
        "_total",
    )

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        *,
        counted: str = "lines refused",
        every: float = SUMMARY_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._log = log
        self._counted = counted
        self._every = every
        self._monotonic = monotonic
        self._since: float | None = None  # when the outage began; None while reachable
        self._last_line = 0.0
        self._pending = 0  # refused since the last line written
        self._total = 0  # refused since the outage began

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException | str, count: int = 1) -> None:
        """A call failed because the dependency is unreachable; it refused ``count``."""
        now = self._monotonic()
        self._total += count
        if self._since is None:
            self._since = self._last_line = now
            self._log.warning("%s lost: %s", self._name, error)
            return
        self._pending += count
        if now - self._last_line >= self._every:
            self._log.warning(
                "%s still unreachable after %.1f s: %d %s in the last %.1f s; last error: %s",
                self._name,
                now - self._since,
                self._pending,
                self._counted,
                now - self._last_line,
                error,
            )
            self._last_line = now
            self._pending = 0

    def ok(self) -> None:
        """A call succeeded: the end of the outage, if there was one."""
        if self._since is None:
            return
        self._log.warning(
            "%s reachable again after %.1f s, %d %s",
            self._name,
            self._monotonic() - self._since,
            self._total,
            self._counted,
        )
        self._since = None
        self._pending = self._total = 0
