"""Notifications across nodes: two ``roomcast serve`` processes sharing one PostgreSQL schema
deliver each queued notification to a real webhook receiver exactly once between them."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections import Counter

from conftest import ServerProcess
from roomcast.chat.notifications import MENTION, notification_for
from roomcast.store import open_store
from roomcast.wire.encode import ChatMessage
from webhook_receiver import receiver

from .conftest import Cluster

SECRET = "cluster-webhook-secret-01"
COUNT = 40


def delivered_total(node: ServerProcess) -> int:
    with urllib.request.urlopen(node.http_url + "/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("roomcast_notifications_delivered_total "):
                return int(float(line.split()[1]))
    raise AssertionError("no roomcast_notifications_delivered_total")


async def test_two_nodes_deliver_each_notification_once(cluster: Cluster) -> None:
    async with receiver() as rx:
        rx.delay = 0.05  # each POST takes a while: both nodes' rounds overlap
        flags = ("--notify-webhook-url", rx.url, "--notify-webhook-secret", SECRET)
        a, b = await cluster.node(*flags), await cluster.node(*flags)
        store = open_store(cluster.db_url)
        await store.open()
        try:
            now = time.time_ns() // 1_000_000
            made = [
                notification_for(
                    "id-alice",
                    "alice",
                    ChatMessage("lobby", n, "bob", f"@alice {n}", "w", now),
                    MENTION,
                    1000,
                    now,
                )
                for n in range(1, COUNT + 1)
            ]
            for notification in made:
                await store.enqueue_notification(notification)
            await rx.wait_for(COUNT, 20)
            await asyncio.sleep(3.0)  # more rounds on both nodes: nothing again
            keys = Counter(r.key for r in rx.received)
            assert set(keys) == {n.id for n in made}
            assert max(keys.values()) == 1
            assert all(r.signed_with(SECRET) for r in rx.received)
            assert delivered_total(a) + delivered_total(b) == COUNT
            assert (await store.notification_counts())["delivered"] == COUNT
        finally:
            await store.close()
