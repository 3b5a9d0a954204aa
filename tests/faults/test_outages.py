"""Two nodes on their own Redis and PostgreSQL, with senders on both, while Redis or PostgreSQL
(or both) is killed, stopped, or frozen with SIGSTOP and thawed with SIGCONT.

After each fault, with nobody stepping in: both nodes are ready again within 30 s; every line a
sender got an ``Ack`` for is in the history exactly once, under the ID of its ``Ack``; the IDs
are gapless; the readers on both nodes saw exactly the stored IDs, in order. During each fault
``/readyz`` says what docs/deploy.md ("Readiness") says it does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from cluster.conftest import ChatClient, Cluster, readiness, readiness_is, until
from conftest import ServerProcess

from .services import PrivatePostgres, PrivateRedis

RATE = 20.0  # lines per second per sender
RECOVERY = 30.0
# A line waiting on a frozen PostgreSQL is refused after 2 s rather than the default 5 s.
NODE_FLAGS = ("--store-timeout", "2")  # seconds a node may take to be ready again by itself
# Readiness while Redis is unreachable or frozen: still ready, the broker not "ok".
BROKER_OUT = {"ready": True, "status": "degraded", "store": "ok"}
# Readiness while PostgreSQL is unreachable or frozen.
STORE_OUT = {"ready": False, "status": "not_ready", "store": "down"}
WHOLE = {"ready": True, "status": "ready", "store": "ok", "broker": "ok", "presence": "ok"}


async def send(client: ChatClient, name: str, stop: asyncio.Event, sent: list[str]) -> None:
    """Send ``RATE`` lines a second, each with its own Ref, until ``stop``."""
    while not stop.is_set():
        ref = f"{name}-{len(sent)}"
        sent.append(ref)
        await client.say(f"line {ref}", ref)
        await asyncio.sleep(1 / RATE)


Fault = Callable[[PrivateRedis, PrivatePostgres], None]


def kill_redis(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    redis.kill()


def restart_redis(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    redis.start()


def stop_postgres(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    postgres.stop_immediate()


def start_postgres(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    postgres.start()


def freeze_redis(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    redis.freeze()


def thaw_redis(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    redis.thaw()


def freeze_postgres(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    postgres.freeze()


def thaw_postgres(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
    postgres.thaw()


def both(*faults: Fault) -> Fault:
    def run(redis: PrivateRedis, postgres: PrivatePostgres) -> None:
        for fault in faults:
            fault(redis, postgres)

    return run


# name: (fault, repair, readiness during the fault, how long it may take to show)
SCENARIOS: dict[str, tuple[Fault, Fault, dict[str, Any], float]] = {
    "redis-killed": (kill_redis, restart_redis, BROKER_OUT | {"broker": "down"}, 5),
    "postgres-stopped": (stop_postgres, start_postgres, STORE_OUT, 10),
    "both-down": (
        both(kill_redis, stop_postgres),
        both(restart_redis, start_postgres),
        STORE_OUT | {"broker": "down"},
        10,
    ),
    # A frozen Redis answers nothing but keeps its connections: the nodes' pings find it out.
    "redis-frozen": (freeze_redis, thaw_redis, BROKER_OUT | {"broker": "down"}, 20),
    "postgres-frozen": (freeze_postgres, thaw_postgres, STORE_OUT, 10),
    "both-frozen": (
        both(freeze_redis, freeze_postgres),
        both(thaw_redis, thaw_postgres),
        STORE_OUT,
        10,
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_fault_then_recovery(
    scenario: str,
    faults_cluster: Cluster,
    private_redis: PrivateRedis,
    private_postgres: PrivatePostgres,
) -> None:
    fault, repair, during, shows_within = SCENARIOS[scenario]
    nodes = [await faults_cluster.node(*NODE_FLAGS), await faults_cluster.node(*NODE_FLAGS)]
    readers = [await faults_cluster.client(node, nick=f"reader{i}") for i, node in enumerate(nodes)]
    senders = [await faults_cluster.client(node, nick=f"sender{i}") for i, node in enumerate(nodes)]
    await asyncio.gather(*(readiness_is(node, WHOLE, 10) for node in nodes))
    stop = asyncio.Event()
    sent: list[list[str]] = [[], []]
    runs = [
        asyncio.create_task(send(client, f"s{i}", stop, sent[i]))
        for i, client in enumerate(senders)
    ]
    await asyncio.sleep(1.0)

    await asyncio.to_thread(fault, private_redis, private_postgres)
    await asyncio.gather(*(readiness_is(node, during, shows_within) for node in nodes))
    for node in nodes:
        status, _ = await asyncio.to_thread(readiness, node.http_url)
        assert status == (200 if during["ready"] else 503)
    await asyncio.sleep(1.0)

    await asyncio.to_thread(repair, private_redis, private_postgres)
    repaired = time.monotonic()
    await asyncio.gather(*(readiness_is(node, WHOLE, RECOVERY) for node in nodes))
    acked = [len(client.acks) for client in senders]
    await until(
        lambda: all(len(c.acks) > n + 5 for c, n in zip(senders, acked, strict=True)),
        RECOVERY - (time.monotonic() - repaired),
        "lines acknowledged again on both nodes after the repair",
    )
    stop.set()
    await asyncio.gather(*runs)
    await assert_history(faults_cluster, readers, senders, sent)


async def assert_history(
    cluster: Cluster, readers: list[ChatClient], senders: list[ChatClient], sent: list[list[str]]
) -> None:
    """Every acknowledged line stored once under its ID; IDs gapless; readers saw them all."""
    await asyncio.sleep(0.5)  # the last acknowledgements on their way
    stored = await cluster.stored()
    ids = [row["id"] for row in stored]
    assert ids == list(range(1, len(ids) + 1)), "IDs with a gap"
    by_ref: dict[str, list[int]] = {}
    for row in stored:
        by_ref.setdefault(row["ref"], []).append(row["id"])
    for client, refs in zip(senders, sent, strict=True):
        assert client.acks, "a sender got no Ack at all"
        for ref, message_id in client.acks.items():
            assert ref in refs
            stored_as = by_ref.get(f"s:{ref}")  # the store's form of a string Ref
            assert stored_as == [message_id], f"acknowledged {ref} stored as {stored_as}"
    await until(
        lambda: all(reader.ids == ids for reader in readers),
        10,
        "readers on both nodes with every stored line, in order",
    )


def test_the_log_of_a_node_is_reachable(
    node_logs: Callable[[ServerProcess], Any], server_factory: Callable[..., ServerProcess]
) -> None:
    node = server_factory("--db", "memory://")
    assert node_logs(node).exists()
