"""kill -9 of one node of three, under traffic.

Its clients reconnect to the surviving nodes with their session and the last ID they saw, re-send
what was not acknowledged, and end up with every message exactly once, in order; the dead node's
users leave the other nodes' user lists within the presence TTL (well under 30 s).
"""

from __future__ import annotations

import asyncio
import time

from .conftest import PRESENCE_TTL, Cluster, until
from .talk import Talker


async def test_kill_one_node_of_three(cluster: Cluster) -> None:
    a, b, c = await asyncio.gather(cluster.node(), cluster.node(), cluster.node())
    watcher = await cluster.client(a, nick="watcher")
    await cluster.client(c, nick="ghost")  # never reconnects: must vanish from user lists
    talkers = [
        Talker(f"t{i}", await cluster.client(node, nick=f"talker{i}"))
        for i, node in enumerate([a, a, b, b, c, c])
    ]
    await until(
        lambda: bool(watcher.userlists) and len(watcher.userlists[-1][1]) == 8, 10, "8 members"
    )
    stop = asyncio.Event()
    runs = [asyncio.create_task(t.run(stop)) for t in talkers]
    await asyncio.sleep(1.0)

    c.kill()
    killed = time.monotonic()
    victims = talkers[4:]
    await until(lambda: all(t.client.closed for t in victims), 10, "clients see the node die")
    for number, talker in enumerate(victims):
        old = talker.client
        new = await cluster.client(
            [a, b][number % 2], session=old.session, since=old.last_id or None
        )
        await talker.switch_to(new)
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.gather(*runs)

    await until(lambda: all(not t.unacked() for t in talkers), 15, "every line acknowledged")
    stored = await cluster.stored()
    count = len(stored)
    assert [row["id"] for row in stored] == list(range(1, count + 1))
    refs = [row["ref"] for row in stored]
    sent = [ref for t in talkers for ref in t.sent]
    assert sorted(refs) == sorted(f"s:{ref}" for ref in sent)  # each line stored exactly once
    by_ref = {row["ref"]: row["id"] for row in stored}
    for talker in talkers:
        assert all(by_ref[f"s:{ref}"] == i for ref, i in talker.acks.items())

    clients = [watcher, *[t.client for t in talkers]]
    await until(lambda: all(c.last_id == count for c in clients), 15, "all delivered")
    for name, ids in [("watcher", watcher.ids), *[(t.name, t.ids) for t in talkers]]:
        assert ids == list(range(1, count + 1)), f"{name}: every message exactly once, in order"

    gone = await until(
        lambda: "ghost" not in watcher.userlists[-1][1], 30, "the dead node's users leave"
    )
    assert time.monotonic() - killed < 30
    assert gone <= PRESENCE_TTL + 5


async def test_graceful_stop_updates_user_lists_at_once(cluster: Cluster) -> None:
    # A long TTL: only the stopping node's own leaves can explain a quick update.
    a, b = await asyncio.gather(
        cluster.node("--presence-ttl", "60"), cluster.node("--presence-ttl", "60")
    )
    watcher = await cluster.client(a, nick="watcher")
    leaving = await cluster.client(b, nick="leaving")
    await until(lambda: watcher.userlists[-1][1] == ["leaving", "watcher"], 10, "both listed")
    stopping = asyncio.create_task(asyncio.to_thread(b.stop))  # SIGTERM: graceful
    took = await until(lambda: watcher.userlists[-1][1] == ["watcher"], 10, "list updated")
    await stopping
    assert took < 5
    assert leaving.closed
