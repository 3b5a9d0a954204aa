"""The event-loop lag sampler and its histogram in the metrics exposition."""

from __future__ import annotations

import asyncio

from roomcast.ops import metrics
from roomcast.ops.loop_lag import LoopLagSampler


def test_lag_histogram_is_exposed_with_a_one_millisecond_bucket() -> None:
    text = metrics.render(metrics.Metrics(), connections=0, rooms={})
    assert "# TYPE roomcast_event_loop_lag_seconds histogram" in text
    assert 'roomcast_event_loop_lag_seconds_bucket{le="0.001"} 0' in text
    assert "roomcast_event_loop_lag_seconds_count 0" in text


def test_sampler_counts_grow_and_stop_ends_them() -> None:
    counts = metrics.Metrics()

    async def run() -> tuple[int, int, int]:
        sampler = LoopLagSampler(counts.event_loop_lag_seconds, interval=0.001)
        sampler.start()
        for _ in range(10_000):
            if counts.event_loop_lag_seconds.count >= 3:
                break
            await asyncio.sleep(0.001)
        seen = counts.event_loop_lag_seconds.count
        await sampler.stop()
        stopped = counts.event_loop_lag_seconds.count
        await asyncio.sleep(0.01)
        return seen, stopped, counts.event_loop_lag_seconds.count

    seen, stopped, later = asyncio.run(run())
    assert seen >= 3
    assert later == stopped
    text = metrics.render(counts, connections=0, rooms={})
    assert f"roomcast_event_loop_lag_seconds_count {later}" in text
