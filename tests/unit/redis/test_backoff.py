"""Backoff: delays that double with jitter up to a cap, and one warning per outage."""

from __future__ import annotations

import asyncio
import logging

import pytest

from roomcast.redis.backoff import BACKOFF_FIRST, BACKOFF_MAX, Backoff


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the backoff asks to sleep, recorded instead of slept."""
    recorded: list[float] = []

    async def record_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(asyncio, "sleep", record_sleep)
    return recorded


async def test_delays_double_with_jitter_up_to_the_cap(waits: list[float]) -> None:
    backoff = Backoff()
    for _ in range(10):
        await backoff.sleep()
    nominal = [min(BACKOFF_FIRST * 2**i, BACKOFF_MAX) for i in range(10)]
    assert nominal[-1] == BACKOFF_MAX
    for wait, delay in zip(waits, nominal, strict=True):
        assert 0.5 * delay <= wait <= 1.5 * delay
    assert backoff.delay == BACKOFF_MAX


async def test_reset_starts_over(waits: list[float]) -> None:
    backoff = Backoff()
    await backoff.sleep()
    await backoff.sleep()
    backoff.reset()
    await backoff.sleep()
    assert waits[2] <= 1.5 * BACKOFF_FIRST


async def test_retry_warns_at_the_first_failure_only(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    backoff = Backoff()
    with caplog.at_level(logging.DEBUG, logger="roomcast.redis.backoff"):
        for _ in range(3):
            await backoff.retry("Redis test connection", ConnectionRefusedError("refused"))
    levels = [record.levelno for record in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert "Redis test connection failed (retrying): refused" in caplog.records[0].getMessage()
    assert len(waits) == 3
