"""The one clock of a node: wall-clock milliseconds for what is stored or sent, and monotonic
seconds for rate budgets.

Everything that reads the time takes a ``Clock``; the server wires one ``SystemClock`` into all of
them, and tests pass a fake one they move by hand.
"""

from __future__ import annotations

import time
from typing import Final, Protocol


class Clock(Protocol):
    """Where a component reads the time."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch (message times, expiries, sanctions, audit)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (rate budgets)."""


class SystemClock:
    """The operating system's clocks."""

    __slots__ = ()

    # The C function itself, so a rate check on every chat line pays no Python frame for it.
    monotonic = staticmethod(time.monotonic)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


SYSTEM_CLOCK: Final = SystemClock()
