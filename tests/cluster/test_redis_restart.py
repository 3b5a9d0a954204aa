"""The real Redis restarted (losing everything: it runs without persistence) under traffic.

What it shows, as docs/deploy.md describes:

- while Redis is down, every node stays ready but degraded (``/readyz`` 200, broker ``down``)
  and still stores and acknowledges messages (PostgreSQL holds history);
- live delivery goes on within each node: a node delivers its own clients' messages at once, and
  the other nodes' messages reach it from the store as soon as a local message shows the gap
  (after ``hub.GAP_WAIT``); with no local traffic they wait for Redis to come back;
- the nodes reconnect by themselves, read what they missed from the store, and write their
  presence back, so every client ends with every message exactly once, in order, and full user
  lists; nothing that was acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .conftest import Cluster, readiness, readiness_is, start_redis, until
from .talk import Talker


async def test_redis_restart_under_load(
    cluster: Cluster, redis_restarter: Callable[[], None]
) -> None:
    a, b = await asyncio.gather(cluster.node(), cluster.node())
    talkers = [
        Talker(f"t{i}", await cluster.client(node, nick=f"talker{i}"))
        for i, node in enumerate([a, a, b, b])
    ]
    names = sorted(f"talker{i}" for i in range(4))
    for t in talkers:
        await until(lambda t=t: t.client.userlists[-1][1] == names, 10, "full user list")
    stop = asyncio.Event()
    runs = [asyncio.create_task(t.run(stop)) for t in talkers]
    await asyncio.sleep(1.0)

    redis_restarter()
    down = time.monotonic()
    degraded = {"ready": True, "status": "degraded", "store": "ok", "broker": "down"}
    await asyncio.gather(readiness_is(a, degraded, 5), readiness_is(b, degraded, 5))
    assert readiness(a.http_url)[0] == 200  # still taking connections without Redis
    before = [len(t.client.chats) for t in talkers]
    await asyncio.sleep(1.5)
    during = [t.client.chats[n:] for t, n in zip(talkers, before, strict=True)]
    await asyncio.to_thread(start_redis)
    outage = time.monotonic() - down
    whole = {"ready": True, "status": "ready", "broker": "ok", "presence": "ok"}
    await asyncio.gather(readiness_is(a, whole, 10), readiness_is(b, whole, 10))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*runs)

    # Live delivery went on within each node, and each node also delivered the other node's
    # messages: its own traffic revealed the gaps, which it filled from PostgreSQL.
    for number, chats in enumerate(during):
        here = {"talker0", "talker1"} if number < 2 else {"talker2", "talker3"}
        authors = {chat["Author"] for chat in chats}
        assert authors & here, f"talker{number} got no message of its own node during the outage"
        assert authors - here, f"talker{number} got no message of the other node from the store"
    assert outage < 10
    await until(lambda: all(not t.unacked() for t in talkers), 15, "every line acknowledged")
    stored = await cluster.stored()
    count = len(stored)
    assert [row["id"] for row in stored] == list(range(1, count + 1))
    by_ref = {row["ref"]: row["id"] for row in stored}
    assert len(by_ref) == count == sum(len(t.sent) for t in talkers)
    for talker in talkers:
        assert all(by_ref[f"s:{ref}"] == i for ref, i in talker.acks.items())
    await until(lambda: all(t.client.last_id == count for t in talkers), 15, "all delivered")
    for talker in talkers:
        assert talker.ids == list(range(1, count + 1)), "every message exactly once, in order"
    for t in talkers:
        await until(lambda t=t: t.client.userlists[-1][1] == names, 10, "user lists restored")
