"""The 1012 close reason's retry hint: drawn within the spread, read back, bad hints ignored."""

from __future__ import annotations

import pytest

from roomcast.client.reconnect import restart_delay
from roomcast.wire.restart_hint import restart_reason, retry_after


def test_a_reason_reads_back_as_a_delay_within_the_spread() -> None:
    delays = {retry_after(restart_reason(2000)) for _ in range(200)}
    assert all(d is not None and 0 <= d <= 2.0 for d in delays)
    assert len(delays) > 1  # spread, not one instant for everyone
    assert len(restart_reason(60_000).encode()) <= 123  # fits a close frame


def test_no_spread_means_come_back_at_once() -> None:
    assert retry_after(restart_reason(0)) == 0.0


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "server shutting down",
        "[]",
        '{"retry_after_ms":-1}',
        '{"retry_after_ms":"5"}',
        '{"retry_after_ms":true}',
        '{"retry_after_ms":1.5}',
        "{",
    ],
)
def test_a_reason_without_a_valid_hint_gives_none(reason: str) -> None:
    assert retry_after(reason) is None


def test_a_huge_hint_is_capped_at_a_minute() -> None:
    assert retry_after('{"retry_after_ms":999999999}') == 60.0


def test_the_client_waits_the_hint_only_after_a_restart_close() -> None:
    delay = restart_delay(1012, '{"retry_after_ms":1000}')
    assert delay is not None
    assert 1.0 <= delay <= 1.1
    assert restart_delay(1001, '{"retry_after_ms":1000}') is None
    assert restart_delay(1012, "no hint") is None
