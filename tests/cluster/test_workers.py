"""``roomcast serve --workers N``: N processes on one port, supervised.

Clients connecting to the one port land on different workers and still share rooms; a worker
killed with ``kill -9`` is replaced; SIGTERM to the supervisor stops every worker; without a
shared broker and store the command refuses to start.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import ServerProcess

from .conftest import Cluster, until


def workers_of(supervisor: ServerProcess) -> set[int]:
    assert supervisor.proc is not None
    pid = supervisor.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


async def test_workers_share_the_port_and_are_replaced(cluster: Cluster) -> None:
    server = await cluster.node("--workers", "2")
    await until(lambda: len(workers_of(server)) == 2, 10, "two workers")
    clients = [await cluster.client(server, nick=f"user{i}") for i in range(12)]
    names = sorted(f"user{i}" for i in range(12))
    for client in clients:
        await until(lambda c=client: c.userlists[-1][1] == names, 10, "one user list for all")
    await clients[0].say("hello", "r1")
    for client in clients:
        await until(lambda c=client: c.ids == [1], 5, "every worker delivers")
    # The supervisor logged both workers serving: the clients were spread over two processes.
    assert server.log().count("serving on") == 2

    first = workers_of(server)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    await until(
        lambda: len(workers_of(server)) == 2 and victim not in workers_of(server),
        15,
        "the killed worker replaced",
    )
    assert "restarting it" in server.log()

    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(server.proc.wait, 20)
    assert code == 0
    assert still_running(first | {victim}) == [], "workers outlived the supervisor"


def still_running(pids: set[int]) -> list[int]:
    """The pids of ``pids`` that still run (zombies count as gone)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def test_workers_need_a_shared_broker_and_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "roomcast", "serve", "--workers", "2", "--port", "8765"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "workers above 1 need a shared broker" in result.stderr
