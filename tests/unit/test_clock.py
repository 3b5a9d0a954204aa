"""The system clock: wall-clock milliseconds and a monotonic clock."""

from __future__ import annotations

import time

from roomcast.clock import SYSTEM_CLOCK, Clock, SystemClock


def test_the_system_clock_reads_the_operating_systems_clocks() -> None:
    clock: Clock = SystemClock()
    before = time.time_ns() // 1_000_000
    assert before <= clock.now_ms() <= time.time_ns() // 1_000_000
    first = clock.monotonic()
    assert clock.monotonic() >= first
    assert isinstance(SYSTEM_CLOCK, SystemClock)
