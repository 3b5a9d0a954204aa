"""Two nodes on their own Redis and PostgreSQL, with senders on both, while Redis or PostgreSQL
(or both) is killed, stopped, or frozen with SIGSTOP and thawed with SIGCONT.

After each fault, with nobody stepping in: both nodes are ready again within 30 s; every line a
sender got an ``Ack`` for is in the history exactly once, under the ID of its ``Ack``; the IDs
are gapless; the readers on both nodes saw exactly the stored IDs, in order. During each fault
``/readyz`` says what docs/deploy.md ("Readiness") says it does; a line sent to a hung store gets
its Error within the store's timeout (with a margin), and a node on a hung or dead Redis still
takes a new connection and acknowledges its line; each node logs the outage in a few lines
(``roomcast.outage``), however many lines it refused.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from cluster.conftest import ChatClient, Cluster, readiness, readiness_is, until
from conftest import ServerProcess
from roomcast.outage import SUMMARY_EVERY

from .services import PrivatePostgres, PrivateRedis

RATE = 20.0  # lines per second per sender
RECOVERY = 30.0  # seconds a node may take to be ready again by itself
# A line waiting on a frozen PostgreSQL is answered within 2 s rather than the default 5 s, and
# each call to a frozen Redis fails after 2 s.
STORE_TIMEOUT = 2.0
NODE_FLAGS = ("--store-timeout", str(STORE_TIMEOUT), "--broker-timeout", "2")
# How long a line sent to a hung store may wait for its Error: a bound, not a benchmark.
ANSWERED_WITHIN = 2 * STORE_TIMEOUT
# At most this many log lines per node from the fault to the recovery: the outage's own few,
# and no line per refused line (a sender sends RATE lines a second to each node throughout).
MAX_LOG_LINES = 25
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
    # A frozen Redis answers nothing but keeps its connections: the nodes' pings find it out
    # within twice the broker timeout.
    "redis-frozen": (freeze_redis, thaw_redis, BROKER_OUT | {"broker": "down"}, 10),
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
    node_logs: Callable[[ServerProcess], Any],
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

    logged_before = [node_logs(node).stat().st_size for node in nodes]
    faulted = time.monotonic()
    await asyncio.to_thread(fault, private_redis, private_postgres)
    await asyncio.gather(*(readiness_is(node, during, shows_within) for node in nodes))
    for node in nodes:
        status, _ = await asyncio.to_thread(readiness, node.http_url)
        assert status == (200 if during["ready"] else 503)
    if "frozen" in scenario and during["store"] == "down":
        await answered_in_time(senders[0], sent[0])
    if during["ready"]:
        await served_meanwhile(faults_cluster, nodes[1])
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
    outage = time.monotonic() - faulted
    stop.set()
    await asyncio.gather(*runs)
    await assert_history(faults_cluster, readers, senders, sent)
    for node, offset in zip(nodes, logged_before, strict=True):
        with node_logs(node).open(errors="replace") as log:
            log.seek(offset)
            assert_outage_logged(log.read(), scenario, outage)


async def answered_in_time(client: ChatClient, sent: list[str]) -> None:
    """A line sent to a hung store gets its Error (``store_unavailable`` or ``outcome_unknown``,
    with its Ref) within ``ANSWERED_WITHIN``."""
    ref = f"probe-{len(sent)}"
    sent.append(ref)
    await client.say("a line for a hung store", ref)
    await until(
        lambda: any(error.get("Ref") == ref for error in client.errors),
        ANSWERED_WITHIN,
        f"the Error of a line sent to a hung store (store_timeout {STORE_TIMEOUT} s)",
    )
    (error,) = [error for error in client.errors if error.get("Ref") == ref]
    assert error["Code"] in ("store_unavailable", "outcome_unknown"), error


async def served_meanwhile(cluster: Cluster, node: ServerProcess) -> None:
    """While only Redis is out, the node takes a new connection (its nickname claimed from this
    node's copy once Redis does not answer) and acknowledges its line."""
    newcomer = await cluster.client(node, nick="newcomer")
    await newcomer.say("hello from a degraded node", "newcomer-1")
    await until(lambda: "newcomer-1" in newcomer.acks, 10, "the newcomer's Ack")
    await newcomer.ws.close()


# What a node logs of an outage (roomcast.outage): its name in the log for each dependency a
# scenario takes out.
LOST = r"(?P<what>PostgreSQL|Redis \(publishing\)|Redis presence) lost: "
BACK = r"(?P<what>PostgreSQL|Redis \(publishing\)|Redis presence) reachable again after [0-9.]+ s, "
STILL = r"(?P<what>PostgreSQL|Redis \(publishing\)|Redis presence) still unreachable after "


def assert_outage_logged(text: str, scenario: str, outage: float) -> None:
    """One line when a dependency is lost and one when it is back, with the count of what it
    refused; summaries at most once per ``SUMMARY_EVERY``; no line per refused line."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) <= MAX_LOG_LINES, "a flood of log lines:\n" + "\n".join(lines)
    counted: dict[str, dict[str, int]] = {}
    for line in lines:
        for kind, pattern in (("lost", LOST), ("back", BACK), ("still", STILL)):
            if (found := re.search(pattern, line)) is not None:
                per = counted.setdefault(found["what"], {"lost": 0, "back": 0, "still": 0})
                per[kind] += 1
    out = {"PostgreSQL"} if "postgres" in scenario or "both" in scenario else set()
    if "redis" in scenario or "both" in scenario:
        out.add("Redis (publishing)")
    assert out <= set(counted), f"no outage logged for {out - set(counted)}:\n{text}"
    for what, per in counted.items():
        assert per["lost"] == per["back"] == 1, f"{what}: {per}\n{text}"
        assert per["still"] <= outage / SUMMARY_EVERY + 1, f"{what}: {per}\n{text}"
    if "PostgreSQL" in out:
        (back,) = [line for line in lines if re.search(BACK, line) and "PostgreSQL" in line]
        refused = re.search(r"(\d+) lines refused", back)
        assert refused is not None, back
        assert int(refused[1]) >= 1, back


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
