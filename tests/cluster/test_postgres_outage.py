"""PostgreSQL briefly unreachable: the node refuses new messages with ``store_unavailable`` (never
an Ack for a message it did not store), reports not ready, and recovers by itself.

The shared PostgreSQL server is not touched: the node reaches it through a TCP proxy that the test
cuts (open connections dropped, new ones refused) and restores.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator

import pytest

from .conftest import Cluster, readyz, until
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


def readyz_code(base: str) -> str:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
            return str(json.load(response)["status"])
    except urllib.error.HTTPError as exc:
        return str(json.load(exc)["error"]["code"])


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
    assert await asyncio.to_thread(readyz_code, node.http_url) == "store_unavailable"

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
