"""Counters and histograms of one node, and their Prometheus text exposition at ``/metrics``.

The hub and the server bump plain ``int`` attributes of one ``Metrics`` object: no locks (one
event loop), no label look-ups on the fan-out path, nothing per recipient. Gauges (connections,
rooms, members) are not kept at all: they are read from the hub when Prometheus scrapes; the one
exception, the pending notifications, is a count in the store that the notifier refreshes.

The exposition is the text format 0.0.4 (``# HELP``, ``# TYPE``, one sample per line), written
here in a few lines rather than through ``prometheus_client``, whose per-call locking and label
look-ups would sit on the hot path.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Final

from roomcast import __version__

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

# Writing one room's frames of a loop iteration to its members on this node: microseconds to
# tens of milliseconds.
FANOUT_BUCKETS: Final = (
    0.00001,
    0.000025,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
)
# A store commit: a batch of appends, from submission to durable.
STORE_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
# How late the loop-lag sampler woke up: from one millisecond (none to speak of) to seconds.
LAG_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Histogram:
    """Counts of observations per bucket (``le`` upper bounds, cumulative when rendered)."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: Iterable[float]) -> None:
        self.bounds = tuple(sorted(bounds))
        self.counts = [0] * (len(self.bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    @property
    def count(self) -> int:
        return sum(self.counts)


class Metrics:
    """Everything one node counts. Attributes are bumped directly by the hub and the server."""

    __slots__ = (
        "connections_opened",
        "errors",
        "event_loop_lag_seconds",
        "fanout_seconds",
        "http_errors",
        "messages_delivered",
        "messages_received",
        "notifications_delivered",
        "notifications_failed",
        "notifications_pending",
        "slow_consumers_dropped",
        "store_write_seconds",
    )

    def __init__(self) -> None:
        self.connections_opened = 0
        self.messages_received = 0
        self.messages_delivered = 0
        self.slow_consumers_dropped = 0
        self.notifications_delivered = 0
        self.notifications_failed = 0
        self.notifications_pending = 0
        self.errors: dict[str, int] = {}
        self.http_errors: dict[int, int] = {}
        self.fanout_seconds = Histogram(FANOUT_BUCKETS)
        self.store_write_seconds = Histogram(STORE_BUCKETS)
        self.event_loop_lag_seconds = Histogram(LAG_BUCKETS)

    def error(self, code: str) -> None:
        """Count one ``Error`` frame sent to a client."""
        self.errors[code] = self.errors.get(code, 0) + 1

    def http_error(self, status: int) -> None:
        """Count one REST answer with a 4xx or 5xx status."""
        self.http_errors[status] = self.http_errors.get(status, 0) + 1


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        if labels:
            inner = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
            self.lines.append(f"{name}{{{inner}}} {_number(value)}")
        else:
            self.lines.append(f"{name} {_number(value)}")

    def histogram(self, name: str, help_text: str, histogram: Histogram) -> None:
        self.family(name, "histogram", help_text)
        running = 0
        for bound, count in zip(histogram.bounds, histogram.counts, strict=False):
            running += count
            self.sample(f"{name}_bucket", running, {"le": _number(bound)})
        running += histogram.counts[-1]
        self.sample(f"{name}_bucket", running, {"le": "+Inf"})
        self.sample(f"{name}_sum", histogram.total)
        self.sample(f"{name}_count", running)


def render(metrics: Metrics, *, connections: int, rooms: Mapping[str, int]) -> str:
    """The Prometheus text exposition of ``metrics`` plus the gauges read at scrape time.

    ``rooms`` maps each room with members on this node to how many.
    """
    out = _Writer()
    out.family("roomcast_info", "gauge", "Version of this roomcast node.")
    out.sample("roomcast_info", 1, {"version": __version__})
    out.family("roomcast_connections", "gauge", "Open WebSocket connections.")
    out.sample("roomcast_connections", connections)
    out.family("roomcast_connections_opened_total", "counter", "WebSocket connections admitted.")
    out.sample("roomcast_connections_opened_total", metrics.connections_opened)
    out.family("roomcast_rooms", "gauge", "Rooms with at least one member on this node.")
    out.sample("roomcast_rooms", len(rooms))
    out.family(
        "roomcast_room_members", "gauge", "Room memberships on this node (a member per room)."
    )
    out.sample("roomcast_room_members", sum(rooms.values()))
    out.family(
        "roomcast_messages_received_total",
        "counter",
        "Chat lines received from clients and the REST API.",
    )
    out.sample("roomcast_messages_received_total", metrics.messages_received)
    out.family(
        "roomcast_messages_delivered_total",
        "counter",
        "Chat frames handed to members of a room on this node (live and replayed).",
    )
    out.sample("roomcast_messages_delivered_total", metrics.messages_delivered)
    out.family(
        "roomcast_slow_consumers_dropped_total",
        "counter",
        "Connections closed with 1013 because they did not read their output.",
    )
    out.sample("roomcast_slow_consumers_dropped_total", metrics.slow_consumers_dropped)
    out.family("roomcast_errors_total", "counter", "Error frames sent to clients, by code.")
    for code, count in sorted(metrics.errors.items()):
        out.sample("roomcast_errors_total", count, {"code": code})
    out.family("roomcast_http_errors_total", "counter", "REST answers with a 4xx or 5xx status.")
    for status, count in sorted(metrics.http_errors.items()):
        out.sample("roomcast_http_errors_total", count, {"status": str(status)})
    out.family(
        "roomcast_notifications_delivered_total",
        "counter",
        "Notifications this node POSTed to the webhook and the webhook took (2xx).",
    )
    out.sample("roomcast_notifications_delivered_total", metrics.notifications_delivered)
    out.family(
        "roomcast_notifications_failed_total",
        "counter",
        "Notifications this node gave up on after a day of retries.",
    )
    out.sample("roomcast_notifications_failed_total", metrics.notifications_failed)
    out.family(
        "roomcast_notifications_pending",
        "gauge",
        "Notifications queued in the store and not yet delivered, failed or read (all nodes).",
    )
    out.sample("roomcast_notifications_pending", metrics.notifications_pending)
    out.histogram(
        "roomcast_fanout_seconds",
        "Time to write one room's frames to its members on this node, per event-loop turn"
        " (at most 256 writes or 2 ms a turn: a bigger room takes several).",
        metrics.fanout_seconds,
    )
    out.histogram(
        "roomcast_store_write_seconds",
        "Time from submitting a message to the store until it is durably committed.",
        metrics.store_write_seconds,
    )
    out.histogram(
        "roomcast_event_loop_lag_seconds",
        "How late the event loop ran a sampler that sleeps a fixed interval (overshoot).",
        metrics.event_loop_lag_seconds,
    )
    return "\n".join(out.lines) + "\n"
