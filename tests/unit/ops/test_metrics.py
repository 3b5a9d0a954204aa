"""Counters, histograms and their Prometheus text exposition."""

from __future__ import annotations

import re

import pytest

from roomcast import __version__
from roomcast.ops.metrics import Histogram, Metrics, render


def test_a_histogram_counts_per_bucket_with_the_bound_inclusive() -> None:
    histogram = Histogram([1.0, 0.1, 0.5])  # any order
    for value in (0.05, 0.1, 0.3, 0.5, 0.7, 1.0, 3.0, 4.0):
        histogram.observe(value)
    assert histogram.bounds == (0.1, 0.5, 1.0)
    assert histogram.counts == [2, 2, 2, 2]  # le 0.1, le 0.5, le 1.0, above
    assert histogram.count == 8
    assert histogram.total == pytest.approx(9.65)


def samples(text: str) -> dict[str, str]:
    """``name{labels}`` to value, for every sample line."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return dict(line.rsplit(" ", 1) for line in lines)


def test_the_exposition_of_an_idle_node() -> None:
    text = render(Metrics(), connections=0, rooms={})
    assert text.endswith("\n")
    got = samples(text)
    assert got[f'roomcast_info{{version="{__version__}"}}'] == "1"
    assert got["roomcast_connections"] == "0"
    assert got["roomcast_rooms"] == "0"
    assert got['roomcast_fanout_seconds_bucket{le="+Inf"}'] == "0"
    assert got["roomcast_store_write_seconds_sum"] == "0"
    assert not any(name.startswith("roomcast_errors_total") for name in got)


def test_every_family_has_help_and_type_before_its_samples() -> None:
    metrics = Metrics()
    metrics.error("too_long")
    metrics.http_error(404)
    lines = render(metrics, connections=3, rooms={"a": 2}).splitlines()
    declared: dict[str, str] = {}
    for i, line in enumerate(lines):
        if line.startswith("# HELP "):
            name = line.split()[2]
            kind = lines[i + 1].split()
            assert kind[:3] == ["#", "TYPE", name]
            declared[name] = kind[3]
        elif not line.startswith("#"):
            name = re.split(r"[{ ]", line)[0]
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in declared or declared.get(family) == "histogram", line
    assert declared["roomcast_connections"] == "gauge"
    assert declared["roomcast_messages_received_total"] == "counter"
    assert declared["roomcast_fanout_seconds"] == "histogram"


def test_counters_gauges_and_labels() -> None:
    metrics = Metrics()
    metrics.connections_opened = 7
    metrics.messages_received = 12
    metrics.messages_delivered = 120
    metrics.slow_consumers_dropped = 1
    for code in ("too_long", "rate_limited", "too_long"):
        metrics.error(code)
    metrics.http_error(404)
    metrics.http_error(503)
    metrics.http_error(404)
    got = samples(render(metrics, connections=5, rooms={"a": 3, "b": 1}))
    assert got["roomcast_connections"] == "5"
    assert got["roomcast_connections_opened_total"] == "7"
    assert (got["roomcast_rooms"], got["roomcast_room_members"]) == ("2", "4")
    assert got["roomcast_messages_received_total"] == "12"
    assert got["roomcast_messages_delivered_total"] == "120"
    assert got["roomcast_slow_consumers_dropped_total"] == "1"
    assert got['roomcast_errors_total{code="too_long"}'] == "2"
    assert got['roomcast_errors_total{code="rate_limited"}'] == "1"
    assert got['roomcast_http_errors_total{status="404"}'] == "2"
    assert got['roomcast_http_errors_total{status="503"}'] == "1"


def test_histogram_buckets_are_cumulative() -> None:
    metrics = Metrics()
    for value in (0.000005, 0.00003, 0.00003, 0.2):
        metrics.fanout_seconds.observe(value)
    text = render(metrics, connections=0, rooms={})
    buckets = re.findall(r'roomcast_fanout_seconds_bucket\{le="([^"]+)"\} (\d+)', text)
    assert buckets[0] == ("1e-05", "1")
    assert ("2.5e-05", "1") in buckets
    assert ("5e-05", "3") in buckets
    assert buckets[-2:] == [("0.1", "3"), ("+Inf", "4")]
    counts = [int(count) for _, count in buckets]
    assert counts == sorted(counts)
    got = samples(text)
    assert got["roomcast_fanout_seconds_count"] == "4"
    assert float(got["roomcast_fanout_seconds_sum"]) == pytest.approx(0.200065)


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.error('odd"code\\with\nbreak')
    text = render(metrics, connections=0, rooms={})
    assert 'roomcast_errors_total{code="odd\\"code\\\\with\\nbreak"} 1' in text.splitlines()


def test_notification_counters_and_the_pending_gauge() -> None:
    metrics = Metrics()
    metrics.notifications_delivered = 4
    metrics.notifications_failed = 1
    metrics.notifications_pending = 9
    text = render(metrics, connections=0, rooms={})
    got = samples(text)
    assert got["roomcast_notifications_delivered_total"] == "4"
    assert got["roomcast_notifications_failed_total"] == "1"
    assert got["roomcast_notifications_pending"] == "9"
    assert "# TYPE roomcast_notifications_pending gauge" in text
    assert "# TYPE roomcast_notifications_failed_total counter" in text
