"""A node's numbers for the admin page, on the memory store and broker: the broker probe's round
trip, the rates over an interval, what goes to the store, and every node read back from it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import orjson
import pytest

from roomcast.chat.hub import Hub
from roomcast.chat.node_stats import FRESH_MS, INTERVAL, NodeStats
from roomcast.chat.probe import BrokerProbe, is_probe_channel
from roomcast.store import StoreUnavailable
from roomcast.wire.protocol import SendChat

from .conftest import FakeClock, RecordingPeer


async def test_the_probe_times_a_round_trip_and_gives_up_on_a_lost_one(hub: Hub) -> None:
    took = await hub.probe.round_trip(1.0)
    assert took is not None
    assert 0 <= took < 1.0
    assert is_probe_channel(hub.probe.channel)
    deaf = BrokerProbe(hub.broker, "deaf")  # nothing hands its probes back to it
    assert await deaf.round_trip(0.05) is None


async def test_numbers_follow_the_hub_and_go_through_the_store(
    hub: Hub, clock: FakeClock, peer: Callable[[str], RecordingPeer]
) -> None:
    stats = NodeStats(hub, lambda: 2, clock)
    members = [await hub.connect(peer(f"w{n}"), room="count", nick=f"n{n}") for n in range(2)]
    for n in range(3):
        await hub.handle(members[0], SendChat(f"line {n}", room="count"))
    await asyncio.sleep(0)
    await stats.report()
    now = stats.snapshot()
    assert (now["connections"], now["members"], now["rooms"]) == (2, 2, {"count": 2})
    assert now["messages_received"] == 3
    assert now["messages_delivered"] == 6
    assert now["messages_per_second"] > 0
    assert now["store"]["healthy"]
    assert now["broker"]["healthy"]
    other = {**now, "node": "other", "connections": 7}
    await hub.store.put_node_stats("other", clock.now_ms(), orjson.dumps(other).decode())
    await hub.store.put_node_stats("gone", clock.now_ms() - FRESH_MS - 1, "{}")
    nodes = await stats.nodes()
    assert sorted(n["node"] for n in nodes) == sorted([stats.node, "other"])
    assert {n["node"]: n["connections"] for n in nodes}[stats.node] == 2  # its own, as now
    await stats.report()  # nothing new: the rate falls back to zero
    assert stats.snapshot()["messages_per_second"] == 0


async def test_rounds_the_store_refuses_are_logged_as_one_outage(
    hub: Hub,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="roomcast.chat.node_stats")
    stats = NodeStats(hub, lambda: 0, clock)
    put = hub.store.put_node_stats

    async def refused(node: str, at_ms: int, stats: str) -> None:
        raise StoreUnavailable("the message store is unavailable")

    monkeypatch.setattr(hub.store, "put_node_stats", refused)
    for _ in range(5):  # 10 s of rounds, one every INTERVAL
        await stats.report_round()
        clock.advance(INTERVAL)
    monkeypatch.setattr(hub.store, "put_node_stats", put)
    await stats.report_round()
    await stats.report_round()
    assert [r.getMessage() for r in caplog.records if r.name == "roomcast.chat.node_stats"] == [
        "the store (node numbers) lost: the message store is unavailable",
        "the store (node numbers) reachable again after 10.0 s, 5 rounds not recorded",
    ]
