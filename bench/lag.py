"""The server's own event-loop lag over a bench step, from roomcast's ``/metrics``.

roomcast samples its loop every 100 ms into ``roomcast_event_loop_lag_seconds`` (a histogram,
buckets from 1 ms to 2.5 s; ``src/roomcast/ops/loop_lag.py``). Scraped before and after a step,
the difference of the bucket counts says how many samples that step had and how late the latest
was, to the bucket: ``over_50ms`` samples woke more than 50 ms late, ``max_le`` is the upper
bound of the highest bucket with a new sample (``inf`` above 2.5 s, 0 when none was over 1 ms).
"""

from __future__ import annotations

import itertools
import math
import re
import urllib.request
from typing import Final

_BUCKET: Final = re.compile(r'^roomcast_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\d+)', re.M)
_STALL: Final = 0.05  # seconds: a sample later than this is a stall


def scrape(port: int) -> dict[float, int] | None:
    """Cumulative sample counts by bucket bound; None when the server has no such metric."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    buckets = {math.inf if le == "+Inf" else float(le): int(n) for le, n in _BUCKET.findall(text)}
    return buckets or None


def between(before: dict[float, int] | None, after: dict[float, int] | None) -> dict[str, float]:
    """The step's samples: how many, how many over 50 ms, the highest bucket bound reached."""
    if before is None or after is None:
        return {}
    new = {bound: after[bound] - before.get(bound, 0) for bound in sorted(after)}
    total = new[math.inf]
    bounds = sorted(new)
    max_le = 0.0
    for lower, upper in itertools.pairwise(bounds):
        if new[upper] > new[lower]:  # samples between the two bounds
            max_le = upper
    within_stall = max((n for bound, n in new.items() if bound <= _STALL), default=0)
    return {"lag_samples": total, "lag_over_50ms": total - within_stall, "lag_max_le": max_le}
