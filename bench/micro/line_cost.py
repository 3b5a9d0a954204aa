"""CPU per chat line through the whole server path, roomcast beside the bare ceiling, no sockets.

1,000 connections in 100 rooms of 10 (the all-senders scenario). Each line is a masked client
frame handed to the connection's ``data_received``: frame parsing, the command, the store, the
``Chat`` frame, the fan-out, and the joined write to each member's transport, which here only
counts bytes. Each round every connection sends one line and the event loop turns twice, so each
member gets one write per round: the shape of a saturated server, where writes are joined and
what is left per line is the Python work. The same frames go through ``bench/peers/bare.py``.

Where the syscalls are a fixed cost per loop iteration (one write per member, one read per
sender), the lines a saturated server delivers per second scale with 1 / (CPU per line): the
ratio printed last is the part of the gap to the bare ceiling that is roomcast's Python.

Run: taskset -c 0 .venv/bin/python bench/micro/line_cost.py [ROUNDS]

``line_cost.py ROUNDS memory`` (or ``sqlite``) runs roomcast on that one store alone, once: for
instruction counts, where the other runs and the bare ceiling would blur the figure (callgrind
counts every thread, the SQLite writer's included). Instructions per line
are the difference of two round counts, e.g. under ``valgrind --tool=callgrind`` with ROUNDS 10
and 30: (Ir(30) - Ir(10)) / 20,000 lines.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop
from unlimited import unlimited_settings  # bench/micro/unlimited.py

from roomcast.broker.memory import MemoryBroker
from roomcast.clock import SystemClock
from roomcast.ops.metrics import Metrics
from roomcast.ops.wiring import build_hub
from roomcast.presence.memory import MemoryPresence
from roomcast.store.base import Store
from roomcast.store.memory import MemoryStore
from roomcast.store.sqlite import SQLiteStore
from roomcast.transport.connection import Outbox, WebSocketService
from roomcast.wire.http1 import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "peers"))
import bare  # bench/peers/bare.py, the ceiling server

ROOMS = 100
ROOM_SIZE = 10
MESSAGE = "aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Q="  # "hello world this is a test"
_MASK = b"\x11\x22\x33\x44"


class Tally:
    """The writes of every transport, and a future resolved once they reach ``target``: a wait
    that costs nothing while the store's threads work, where polling would add to the event
    loop's count whatever time those threads take (under callgrind, most of it)."""

    def __init__(self) -> None:
        self.writes = 0
        self.target = 0
        self.reached: asyncio.Future[None] | None = None

    def add(self) -> None:
        self.writes += 1
        if self.writes >= self.target and self.reached is not None and not self.reached.done():
            self.reached.set_result(None)

    async def wait_for(self, target: int, timeout: float = 30.0) -> None:
        self.target = target
        if self.writes < target:
            self.reached = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self.reached, timeout)
            except TimeoutError:
                raise SystemExit("timed out: the server did not fan the lines out") from None


class CountingTransport(asyncio.Transport):
    """A transport that takes every write at once and counts them (and in ``tally``, if any)."""

    def __init__(self, tally: Tally | None = None) -> None:
        super().__init__()
        self.writes = 0
        self._tally = tally

    def write(self, data: Any) -> None:
        self.writes += 1
        if self._tally is not None:
            self._tally.add()

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass


def client_frame(nick: str) -> bytes:
    """One masked text frame holding a tutorial-style chat line."""
    payload = f'{{"Message":"{MESSAGE}","Author":"{nick}"}}'.encode()
    assert len(payload) < 126
    body = bytes(byte ^ _MASK[i % 4] for i, byte in enumerate(payload))
    return bytes((0x81, 0x80 | len(payload))) + _MASK + body


Sender = tuple[Callable[[bytes], None], bytes]


async def rounds(
    senders: list[Sender],
    transports: list[CountingTransport],
    n: int,
    settled: Callable[[], Awaitable[None]],
) -> float:
    """Event-loop CPU in microseconds per line over ``n`` rounds.

    ``settled`` returns once a round's lines are fanned out and written. Every member must get
    exactly one write per round (its room's ten lines, joined), or the run is void.
    """
    writes_before = [t.writes for t in transports]
    start = time.thread_time()
    for _ in range(n):
        for data_received, frame in senders:
            data_received(frame)
        await settled()
    cpu = time.thread_time() - start
    writes = {t.writes - before for t, before in zip(transports, writes_before, strict=True)}
    if writes != {n}:
        raise SystemExit(f"members got {sorted(writes)} writes in {n} rounds, not one a round")
    return cpu / (n * len(senders)) * 1e6


async def wait_until(done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``done`` (the event loop's CPU is what is measured: an idle wait costs none)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("timed out: the server did not fan the lines out")
        await asyncio.sleep(0.0002)


async def roomcast_cost(store: Store, n: int) -> tuple[float, float]:
    """roomcast's event-loop CPU per line, and that of its other threads (the SQLite writer)."""
    connections = ROOMS * ROOM_SIZE
    settings = unlimited_settings(max_connections=connections, max_connections_per_ip=connections)
    metrics = Metrics()
    outbox = Outbox(asyncio.get_running_loop(), metrics.fanout_seconds)
    hub = build_hub(
        settings,
        store,
        MemoryBroker(),
        MemoryPresence(),
        fanout=outbox.room,
        metrics=metrics,
        clock=SystemClock(),
    )
    await hub.start()
    service = WebSocketService(hub, settings, outbox)
    senders: list[Sender] = []
    transports: list[CountingTransport] = []
    tally = Tally()
    for room in range(ROOMS):
        for n_ in range(ROOM_SIZE):
            nick = f"u{room}x{n_}"
            transport = CountingTransport(tally)
            request = Request("GET", f"/ws?room=room{room}&nick={nick}", {})
            connection = service.open(transport, request, "127.0.0.1", b"", b"")
            senders.append((connection.data_received, client_frame(nick)))
            transports.append(transport)
    await wait_until(
        lambda: all(c.member and c.member.room_count() for c in service.connections.values())
    )
    written = -1
    while written != tally.writes:  # the joins' own frames are out
        written = tally.writes
        await asyncio.sleep(0.1)
    metrics = hub.metrics
    expected = [metrics.messages_delivered]

    async def fanned_out() -> None:
        # Every line of the round fanned out (once the store committed it), and the joined
        # writes, one per member, a few hundred per event-loop turn: waited for on the tally's
        # future, not by polling.
        expected[0] += len(senders) * ROOM_SIZE
        target = tally.writes + len(transports)
        await tally.wait_for(target)
        while metrics.messages_delivered < expected[0] or tally.writes < target:
            await tally.wait_for(tally.writes + 1)

    await rounds(senders, transports, 5, fanned_out)  # warm up
    process_start = time.process_time()
    loop_cpu = await rounds(senders, transports, n, fanned_out)
    other = (time.process_time() - process_start) / (n * len(senders)) * 1e6 - loop_cpu
    await hub.stop()
    return loop_cpu, max(0.0, other)


async def bare_cost(n: int) -> float:
    """The bare ceiling's CPU per line on the same frames."""
    bare.Client.outbox = bare.Outbox(asyncio.get_running_loop())
    bare.Client.rooms.clear()
    senders: list[Sender] = []
    transports: list[CountingTransport] = []
    for room in range(ROOMS):
        for n_ in range(ROOM_SIZE):
            client = bare.Client()
            transport = CountingTransport()
            client.connection_made(transport)
            client.upgraded = True
            client.room = f"room{room}"
            bare.Client.rooms.setdefault(client.room, {})[client] = None
            senders.append((client.data_received, client_frame(f"u{room}x{n_}")))
            transports.append(transport)
    await rounds(senders, transports, 5, _next_turn)
    return await rounds(senders, transports, n, _next_turn)


async def _next_turn() -> None:
    await asyncio.sleep(0)  # bare fans out as it reads; the joined writes follow


async def main(n: int) -> None:
    memory, sqlite, sqlite_other, ceiling = [], [], [], []
    for _ in range(3):  # interleaved, so a change in the machine's speed hits all alike
        memory.append((await roomcast_cost(MemoryStore(), n))[0])
        loop_cpu, other = await roomcast_cost(SQLiteStore(Path(tempfile.mkdtemp()) / "l.db"), n)
        sqlite.append(loop_cpu)
        sqlite_other.append(other)
        ceiling.append(await bare_cost(n))
    mem, sql, sql_other, ref = (
        statistics.median(v) for v in (memory, sqlite, sqlite_other, ceiling)
    )
    print("CPU per chat line, median of 3 interleaved runs (all runs in brackets):")
    print(f"  roomcast memory://  {mem:6.2f} us  {_all(memory)}")
    print(f"  roomcast SQLite     {sql:6.2f} us  {_all(sqlite)} + writer {sql_other:.2f} us")
    print(f"  bare ceiling        {ref:6.2f} us  {_all(ceiling)}")
    print(
        f"  roomcast / bare: memory:// {mem / ref:.2f}x, SQLite {(sql + sql_other) / ref:.2f}x;"
        f" SQLite / memory:// {(sql + sql_other) / mem:.2f}x"
    )


def _all(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in values) + ")"


async def store_only(n: int, kind: str) -> None:
    """One roomcast run on one store (``memory`` or ``sqlite``): for instruction counts."""
    store = MemoryStore() if kind == "memory" else SQLiteStore(Path(tempfile.mkdtemp()) / "l.db")
    loop_cpu, other = await roomcast_cost(store, n)
    print(f"roomcast {kind}: {loop_cpu:.2f} us per line + other threads {other:.2f} us")


if __name__ == "__main__":
    rounds_wanted = int(sys.argv[1]) if sys.argv[1:] else 60
    kind = sys.argv[2] if sys.argv[2:] else ""
    if kind not in ("", "memory", "sqlite"):
        sys.exit(f"line_cost.py: unknown store {kind!r} (memory or sqlite)")
    uvloop.run(store_only(rounds_wanted, kind) if kind else main(rounds_wanted))
