"""Token buckets with a hand-driven clock."""

from __future__ import annotations

import pytest

from roomcast.ratelimit import KeyedBuckets, Rate, TokenBucket


def test_burst_then_steady_rate() -> None:
    bucket = TokenBucket(Rate(2, 3), now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(0.5) == 0.0
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert bucket.take(10.0) == 0.0  # refilled, but never beyond the burst
    assert [bucket.take(10.0) for _ in range(2)] == [0.0, 0.0]
    assert bucket.take(10.0) > 0


def test_zero_rate_is_unlimited() -> None:
    bucket = TokenBucket(Rate.parse("0"), now=0.0)
    assert all(bucket.take(0.0) == 0.0 for _ in range(10_000))


@pytest.mark.parametrize(
    ("text", "rate"), [("5/20", Rate(5, 20)), ("5", Rate(5, 10)), ("0.2", Rate(0.2, 1))]
)
def test_parse(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "x", "-1/5", "5/0", "1/2/3"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Rate.parse(text)


def test_keys_have_their_own_buckets_and_old_keys_are_forgotten() -> None:
    buckets = KeyedBuckets(Rate(1, 1), max_keys=2)
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("a", 0.0) > 0
    assert buckets.take("b", 0.0) == 0.0
    assert buckets.take("c", 0.0) == 0.0  # "a" is forgotten: least recently used
    assert buckets.take("a", 0.0) == 0.0


def test_a_key_in_use_is_kept_and_the_least_recent_forgotten() -> None:
    buckets = KeyedBuckets(Rate(1, 1), max_keys=2)
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("b", 0.0) == 0.0
    assert buckets.take("a", 0.0) > 0  # "a" used again: now the most recent
    assert buckets.take("c", 0.0) == 0.0  # so "b" is forgotten, not "a"
    assert buckets.take("a", 0.0) > 0
    assert buckets.take("b", 0.0) == 0.0


def test_an_unlimited_rate_keeps_no_buckets() -> None:
    buckets = KeyedBuckets(Rate.parse("0/1"), max_keys=1)
    assert all(buckets.take(str(i), 0.0) == 0.0 for i in range(1000))
    assert all(buckets.take("same", 0.0) == 0.0 for _ in range(1000))


def test_waiting_time_shrinks_as_time_passes() -> None:
    bucket = TokenBucket(Rate(0.5, 1), now=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(2.0)
    assert bucket.take(1.5) == pytest.approx(0.5)
    assert bucket.take(2.0) == 0.0
