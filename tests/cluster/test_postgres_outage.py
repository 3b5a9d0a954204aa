"""PostgreSQL briefly unreachable: the node refuses new messages with ``store_unavailable`` (never
an Ack for a message it did not store), reports not ready, and recovers by itself.

The shared PostgreSQL server is not touched: the node reaches it through a TCP proxy that the test
cuts (open connections dropped, new ones refused) and restores.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator

import pytest

from roomcast.outage import SUMMARY_EVERY

from .conftest import Cluster, readiness, readyz, until
from .tcpproxy import TcpProxy


@pytest.fixture
async def proxy(cluster: Cluster) -> AsyncIterator[TcpProxy]:
    target = urllib.parse.urlsplit(cluster.db_url)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    yield proxy
    await proxy.close()


def through(url: str, proxy: TcpProxy) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = (
        f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    )
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


async def test_postgres_unreachable_then_back(cluster: Cluster, proxy: TcpProxy) -> None:
    node = await cluster.node(db_url=through(cluster.db_url, proxy))
    alice = await cluster.client(node, nick="alice")
    bob = await cluster.client(node, nick="bob")
    for i in range(3):
        await alice.say(f"before {i}", f"before-{i}")
    await until(lambda: len(alice.acks) == 3, 5, "acks before the outage")

    await proxy.cut()
    for i in range(3):
        await alice.say(f"during {i}", f"during-{i}")
    refused = {f"during-{i}" for i in range(3)}
    await until(
        lambda: refused <= {e.get("Ref") for e in alice.errors}, 15, "refusals during the outage"
    )
    assert {e["Code"] for e in alice.errors} == {"store_unavailable"}
    assert not refused & alice.acks.keys()
    assert await asyncio.to_thread(readiness, node.http_url) == (
        503,
        {"ready": False, "status": "not_ready", "store": "down", "broker": "ok", "presence": "ok"},
    )

    await proxy.restore()
    restored = time.monotonic()
    attempt = 0
    while "after-0" not in alice.acks:  # the first line after the outage, re-sent until taken
        assert time.monotonic() - restored < 15, "no recovery within 15 s"
        await alice.say("after", "after-0")
        attempt += 1
        await asyncio.sleep(0.2)
    for i in range(3):  # the refused lines, sent again by the client
        await alice.say(f"during {i}", f"during-{i}")
    await until(lambda: refused <= alice.acks.keys(), 5, "refused lines taken after the outage")
    await readyz(node, 200, 5)

    stored = await cluster.stored()
    assert [row["id"] for row in stored] == list(range(1, len(stored) + 1))
    assert {row["ref"] for row in stored} == {f"s:{ref}" for ref in alice.acks}
    assert len(stored) == len(alice.acks) == 7
    await until(lambda: bob.last_id == len(stored), 5, "bob has everything")
    assert bob.ids == list(range(1, len(stored) + 1))


async def test_an_outage_is_logged_in_a_few_lines(cluster: Cluster, proxy: TcpProxy) -> None:
    """50 refused lines: one "lost" line, a summary at most every SUMMARY_EVERY seconds, one
    "reachable again" line with the count, and no line per refused message."""
    node = await cluster.node(db_url=through(cluster.db_url, proxy))
    alice = await cluster.client(node, nick="alice")
    await alice.say("before", "before")
    await until(lambda: "before" in alice.acks, 5, "the ack before the outage")

    await proxy.cut()
    cut = time.monotonic()
    for i in range(50):  # 20 lines a second for 2.5 s
        await alice.say(f"during {i}", f"during-{i}")
        await asyncio.sleep(0.05)
    await until(lambda: len(alice.errors) == 50, 15, "50 refusals")
    assert {e["Code"] for e in alice.errors} == {"store_unavailable"}

    await proxy.restore()
    while "after" not in alice.acks:  # refused until the pool connects again
        assert time.monotonic() - cut < 30, "no recovery"
        await alice.say("after", "after")
        await asyncio.sleep(0.2)
    outage = time.monotonic() - cut
    refused = len(alice.errors)

    log = await asyncio.to_thread(node.log)
    assert log.count("PostgreSQL lost: ") == 1, log
    summaries = log.count("PostgreSQL still unreachable after ")
    assert summaries <= math.ceil(outage / SUMMARY_EVERY) + 1, log
    back = re.findall(r"PostgreSQL reachable again after [0-9.]+ s, (\d+) lines refused", log)
    assert back == [str(refused)], log
    assert "error store_unavailable" not in log  # the per-line INFO of hub.py
    assert " ERROR " not in log
    assert "commit of" not in log  # the per-batch line of the writer
