"""CPU per chat line through parse and the hub, without sockets: what each line costs in Python.

1,000 members in 100 rooms of 10 (the all-senders scenario), the memory broker, every member
sending in turn. Each line is parsed from its JSON text, dispatched, stored, encoded and handed
to the room's fan-out (which here only counts payloads: nothing is framed). The memory store by
default; with ``sqlite``, the SQLite store in a temporary folder, and the CPU of its writer
thread is given apart from the event loop's.

Run: taskset -c 0 .venv/bin/python bench/micro/hub_dispatch.py [sqlite]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import uvloop
from unlimited import unlimited_settings  # bench/micro/unlimited.py

from roomcast.broker.memory import MemoryBroker
from roomcast.chat.state import DirectFanout, Member
from roomcast.clock import SystemClock
from roomcast.ops.metrics import Metrics
from roomcast.ops.wiring import build_hub
from roomcast.presence.memory import MemoryPresence
from roomcast.store.base import Store
from roomcast.store.memory import MemoryStore
from roomcast.store.sqlite import SQLiteStore
from roomcast.wire import protocol

LINES = 60_000
_ROUNDS_AHEAD = 5
TEXT = '{"Message":"aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Q="}'


class FrameCount:
    """Frames received by all peers, and a wait until there are enough."""

    def __init__(self) -> None:
        self.frames = 0
        self._target = 0
        self._reached = asyncio.Event()

    def add(self) -> None:
        self.frames += 1
        if self.frames == self._target:
            self._reached.set()

    async def reach(self, frames: int) -> None:
        if self.frames >= frames:
            return
        self._target = frames
        self._reached.clear()
        try:
            await asyncio.wait_for(self._reached.wait(), 30)
        except TimeoutError:
            raise SystemExit(f"only {self.frames} of {frames} frames arrived") from None


class CountingPeer:
    def __init__(self, wsid: str, count: FrameCount) -> None:
        self.wsid = wsid
        self._count = count

    def send(self, payload: bytes) -> None:
        self._count.add()

    def close(self, code: int, reason: str) -> None:
        pass


async def main(store: Store) -> None:
    hub = build_hub(
        unlimited_settings(),
        store,
        MemoryBroker(),
        MemoryPresence(),
        fanout=DirectFanout,
        metrics=Metrics(),
        clock=SystemClock(),
    )
    await hub.start()
    count = FrameCount()
    members: list[Member] = []
    for room in range(100):
        for n in range(10):
            peer = CountingPeer(f"w{room}-{n}", count)
            members.append(await hub.connect(peer, room=f"room{room}", nick=f"n{room}x{n}"))
    await asyncio.sleep(0.1)
    before = count.frames  # the joins' own frames
    start, process_start = time.thread_time(), time.process_time()
    for round_ in range(LINES // len(members)):
        for member in members:
            hub.dispatch(member, protocol.parse(TEXT))
        await asyncio.sleep(0)  # the store's outcomes arrive, the lines fan out
        await asyncio.sleep(0)
        # The SQLite writer may fall behind a burst: keep it within a few rounds, as a real
        # server's clients would by waiting for their lines to come back.
        await count.reach(before + 10 * len(members) * (round_ - _ROUNDS_AHEAD))
    await count.reach(before + 10 * LINES)
    loop_cpu = (time.thread_time() - start) / LINES * 1e6
    process_cpu = (time.process_time() - process_start) / LINES * 1e6
    await hub.stop()
    print(f"{loop_cpu:.2f} us of event-loop CPU per line (parse, hub, store, encode, fan-out)")
    if process_cpu - loop_cpu >= 0.01:
        print(f"{process_cpu - loop_cpu:.2f} us of other threads' CPU (the SQLite writer)")


if __name__ == "__main__":
    if sys.argv[1:] == ["sqlite"]:
        chosen: Store = SQLiteStore(Path(tempfile.mkdtemp()) / "dispatch.db")
    else:
        chosen = MemoryStore()
    uvloop.run(main(chosen))
