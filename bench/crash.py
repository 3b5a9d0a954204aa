"""Kill -9 while 10,000 clients send: every acknowledged line is still there after the restart.

The storm's clients (``storm.CLIENTS`` in ``storm.ROOMS`` rooms, the plan's sizes) join roomcast
and all of them send, in turn, ``RATE`` lines a second in all, each line with a ``Ref`` and a
text of its own. At a moment drawn from the last of ``SEND_SECS`` seconds the server's process
group gets SIGKILL, with lines in flight. The acknowledged lines are those whose ``Ack`` a client
had read before the kill. The server is started again on the same data, and every room's stored
lines are read back over REST:

- ``lost``: acknowledged lines missing after the restart, or stored with another text (the
  promise broken; must be 0);
- ``holes``: IDs missing between a room's first and last stored line (must be 0);
- ``unacked_stored``: lines in flight at the kill that were stored all the same (committed, their
  Ack not yet read: neither promised nor wrong).

``restart_secs`` is the time from the kill to the new server listening (its recovery included).

The clients are the storm's asyncio protocols on uvloop, pinned to the generator's core.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, cast

from bench.scenarios import Plan
from bench.servers import GENERATOR_CPU, RunningServer, ServerSpec, start_server
from bench.storm import Connection, Storm, client_frame

RATE: Final = 3000  # lines per second from all clients together
SEND_SECS: Final = 3.0  # the kill comes at a moment drawn from the last second of these
TICK: Final = 0.01


class Sender(Connection):
    """A storm connection that sends lines with refs and records their Acks."""

    crash: Crash

    def send_text(self, ref: str, text: str) -> None:
        assert self.transport is not None
        line = {"Message": base64.b64encode(text.encode()).decode(), "Author": self.client.nick,
                "Ref": ref}  # fmt: skip
        self.transport.write(client_frame(1, json.dumps(line).encode()))

    def _on_text(self, frame: dict[str, Any]) -> None:
        if frame.get("Type") == "Ack" and not self.crash.killed:
            self.crash.acked[(str(frame["Room"]), int(frame["ID"]))] = str(frame["Ref"])
        elif frame.get("Type") == "Error" and not self.crash.killed:
            self.crash.errors += 1
        super()._on_text(frame)


class Crash(Storm):
    """The clients of one run, what they sent and which of it was acknowledged."""

    connection_class = Sender

    def __init__(self, port: int, clients: int, rooms: int) -> None:
        super().__init__(port, clients, rooms, plain=False)
        Sender.crash = self
        self.texts: dict[str, str] = {}  # ref -> text
        self.acked: dict[tuple[str, int], str] = {}  # (room, ID) -> ref
        self.killed = False
        self.errors = 0

    async def send_until(self, stop_at: float) -> None:
        """Lines from every client in turn, ``RATE`` a second, until ``stop_at`` (none on a
        connection already closing: ``texts`` holds what was written)."""
        started, sent, turn = time.monotonic(), 0, 0
        clients = self.clients
        while (now := time.monotonic()) < stop_at:
            due = int((now - started) * RATE)
            while sent < due:
                client = clients[turn % len(clients)]
                turn += 1
                sent += 1
                connection = cast(Sender, self.connections[client.nick])
                if connection.transport is not None and not connection.transport.is_closing():
                    ref = f"{client.nick}-{sent}"
                    self.texts[ref] = text = f"crash {ref}"
                    connection.send_text(ref, text)
            await asyncio.sleep(TICK)


def stored_lines(port: int, room: str) -> dict[int, str]:
    """Every stored line of ``room`` as {ID: text}, walking the REST pages back to the start."""
    lines: dict[int, str] = {}
    before = ""
    while True:
        url = f"http://127.0.0.1:{port}/api/rooms/{room}/messages?limit=200{before}"
        with urllib.request.urlopen(url, timeout=30) as response:
            page = json.load(response)
        lines.update((int(m["id"]), str(m["text"])) for m in page["messages"])
        if page["next_before"] is None:
            return lines
        before = f"&before={page['next_before']}"


def verdict(crash: Crash, stored: dict[str, dict[int, str]]) -> dict[str, int]:
    """What the restarted server kept, against what was acknowledged before the kill."""
    lost = 0
    for (room, message_id), ref in crash.acked.items():
        if stored[room].get(message_id) != crash.texts[ref]:
            lost += 1
    kept = sum(len(lines) for lines in stored.values())
    holes = sum(max(lines) - min(lines) + 1 - len(lines) for lines in stored.values() if lines)
    return {"sent": len(crash.texts), "acked": len(crash.acked), "lost": lost, "holes": holes,
            "unacked_stored": kept - len(crash.acked) + lost, "errors": crash.errors}  # fmt: skip


async def _crash(server: RunningServer, clients: int, rooms: int) -> dict[str, Any]:
    crash = Crash(server.port, clients, rooms)
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(crash.connect(c, retry=False) for c in crash.clients))
    kill_at = time.monotonic() + SEND_SECS - random.random()
    sending = asyncio.ensure_future(crash.send_until(kill_at + 1.0))
    await asyncio.sleep(max(0.0, kill_at - time.monotonic()))
    # Acks read from here on were not read before the kill: the kill is the next thing done.
    crash.killed = True
    killed_at = time.monotonic()
    back_at = await loop.run_in_executor(None, lambda: server.restart(kill=True))
    sending.cancel()
    for connection in crash.connections.values():
        if connection.transport is not None:
            connection.transport.abort()
    names = sorted({c.room for c in crash.clients})
    with ThreadPoolExecutor(8) as pool:
        pages = await asyncio.gather(
            *(loop.run_in_executor(pool, stored_lines, server.port, room) for room in names)
        )
    result: dict[str, Any] = {"server": server.spec.name, "clients": clients, "rooms": rooms,
                              "restart_secs": round(back_at - killed_at, 2)}  # fmt: skip
    result.update(verdict(crash, dict(zip(names, pages, strict=True))))
    return result


def crash(server: RunningServer, clients: int, rooms: int) -> dict[str, Any]:
    """One kill -9 run against ``server``, its clients on the generator's core."""
    import uvloop

    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(GENERATOR_CPU)})
    try:
        return uvloop.run(_crash(server, clients, rooms))
    finally:
        os.sched_setaffinity(0, affinity)


def scenario(spec: ServerSpec, plan: Plan) -> dict[str, Any]:
    """One kill -9 run at the storm's size (``plan.storm_clients`` in ``plan.storm_rooms``)."""
    server = start_server(spec, plan.log_dir)
    try:
        result = crash(server, plan.storm_clients, plan.storm_rooms)
    finally:
        server.stop()
    print(f"bench:   {spec.name:13} kill -9: {result}", flush=True)
    return result
