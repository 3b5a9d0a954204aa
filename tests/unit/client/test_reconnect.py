"""Which close codes end the client, and how long it waits between reconnect attempts."""

from __future__ import annotations

import pytest

from roomcast.client.reconnect import backoff_delay, worth_reconnecting


@pytest.mark.parametrize("code", [None, 1000, 1001, 1006, 1011, 1012, 1013])
def test_drops_worth_another_try(code: int | None) -> None:
    assert worth_reconnecting(code)


@pytest.mark.parametrize("code", [1002, 1003, 1007, 1008, 1009, 4001, 4003])
def test_refusals_a_taken_over_session_and_a_sign_out_are_final(code: int) -> None:
    assert not worth_reconnecting(code)


@pytest.mark.parametrize(
    ("attempt", "longest_wait"),
    [(0, 0.25), (1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (6, 10.0), (60, 10.0)],
)
def test_the_wait_doubles_up_to_the_cap_with_jitter(attempt: int, longest_wait: float) -> None:
    waits = [backoff_delay(attempt, 0.25, 10.0) for _ in range(400)]
    assert min(waits) >= longest_wait / 2
    assert max(waits) <= longest_wait
    assert max(waits) - min(waits) > longest_wait / 10  # spread out, not one instant for all
