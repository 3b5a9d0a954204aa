"""Token buckets for rate limits, without I/O: the caller passes the clock.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens per second; each action takes one.
A rate of 0 means unlimited. ``KeyedBuckets`` keeps one bucket per key (an IP address, an
account) and forgets the least recently used keys beyond a bound, so memory stays fixed.
"""

from __future__ import annotations

from collections import OrderedDict

from roomcast.record import record


@record
class Rate:
    """``rate`` actions per second on average, ``burst`` at once."""

    rate: float
    burst: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read ``"RATE/BURST"`` (``"5/20"``) or ``"RATE"`` (burst = max(1, 2 x rate))."""
        rate_text, _, burst_text = text.partition("/")
        rate = float(rate_text)
        burst = float(burst_text) if burst_text else max(1.0, 2 * rate)
        if rate < 0 or burst < 1:
            raise ValueError("a rate needs RATE >= 0 and BURST >= 1")
        return cls(rate, burst)

    @property
    def unlimited(self) -> bool:
        return self.rate == 0


class TokenBucket:
    __slots__ = ("_rate", "_stamp", "_tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self._rate = rate
        self._tokens = rate.burst
        self._stamp = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 when allowed, else the seconds until one is available."""
        rate = self._rate
        if rate.unlimited:
            return 0.0
        self._tokens = min(rate.burst, self._tokens + (now - self._stamp) * rate.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / rate.rate


class KeyedBuckets:
    """One bucket per key, the ``max_keys`` most recently used kept."""

    def __init__(self, rate: Rate, max_keys: int = 100_000) -> None:
        self._rate = rate
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        if self._rate.unlimited:
            return 0.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._rate, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now)
