"""OutageLog: one line when a dependency is lost, a summary every SUMMARY_EVERY seconds while it
stays down, one line when it is back; the time comes from a clock the test moves."""

from __future__ import annotations

import logging

import pytest

from roomcast.outage import SUMMARY_EVERY, OutageLog

log = logging.getLogger("test.outage")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outage(clock: Clock) -> OutageLog:
    return OutageLog("PostgreSQL", log, monotonic=clock.monotonic)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == log.name]


def test_success_while_reachable_writes_nothing(
    outage: OutageLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outage.ok()
    outage.ok()
    assert lines(caplog) == []
    assert not outage.down


def test_losing_writes_one_warning_with_what_failed(
    outage: OutageLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outage.failed(ConnectionRefusedError("connection refused"))
    assert lines(caplog) == ["PostgreSQL lost: connection refused"]
    assert caplog.records[0].levelno == logging.WARNING
    assert outage.down


def test_refusals_within_the_window_write_no_line(
    outage: OutageLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outage.failed("down")
    for _ in range(500):
        clock.now += (SUMMARY_EVERY - 0.1) / 500
        outage.failed("down")
    assert lines(caplog) == ["PostgreSQL lost: down"]


def test_a_summary_after_the_window_counts_what_was_refused_since_the_last_line(
    outage: OutageLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outage.failed("down")
    for _ in range(9):
        clock.now += 1.0
        outage.failed("down", 2)
    clock.now += 1.0
    outage.failed("still down", 2)  # 10 s after the first: 10 failures of 2 since that line
    clock.now += 3.0
    outage.failed("still down")
    assert lines(caplog) == [
        "PostgreSQL lost: down",
        "PostgreSQL still unreachable after 10.0 s: 20 lines refused in the last 10.0 s; "
        "last error: still down",
    ]
    clock.now += 7.0
    outage.failed("still down")  # the next summary counts from the previous one
    assert lines(caplog)[-1] == (
        "PostgreSQL still unreachable after 20.0 s: 2 lines refused in the last 10.0 s; "
        "last error: still down"
    )


def test_recovery_writes_the_duration_and_the_total_once(
    outage: OutageLog, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outage.failed("down", 4)
    for _ in range(530):
        clock.now += 0.01
        outage.failed("down")
    clock.now += 0.1
    outage.ok()
    outage.ok()
    assert lines(caplog) == [
        "PostgreSQL lost: down",
        "PostgreSQL reachable again after 5.4 s, 534 lines refused",
    ]
    assert not outage.down


def test_a_second_outage_starts_afresh(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    outage = OutageLog(
        "Redis presence", log, counted="calls failed", every=2.0, monotonic=clock.monotonic
    )
    outage.failed("a", 3)
    clock.now += 1.0
    outage.ok()
    outage.failed("b")
    clock.now += 2.0
    outage.failed("b")
    clock.now += 0.5
    outage.ok()
    assert lines(caplog) == [
        "Redis presence lost: a",
        "Redis presence reachable again after 1.0 s, 3 calls failed",
        "Redis presence lost: b",
        "Redis presence still unreachable after 2.0 s: 1 calls failed in the last 2.0 s; "
        "last error: b",
        "Redis presence reachable again after 2.5 s, 2 calls failed",
    ]
