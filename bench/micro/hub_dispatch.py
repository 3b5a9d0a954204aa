"""CPU per chat line through parse and the hub, without sockets: what each line costs in Python.

1,000 members in 100 rooms of 10 (the all-senders scenario), the memory store and broker, every
member sending in turn. Each line is parsed from its JSON text, dispatched, stored, encoded and
handed to the room's fan-out (which here only counts frames).

Run: taskset -c 0 .venv/bin/python bench/micro/hub_dispatch.py
"""

from __future__ import annotations

import asyncio
import time

import uvloop

from roomcast import protocol
from roomcast.broker.memory import MemoryBroker
from roomcast.config import Settings
from roomcast.hub import Hub, Member
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore

LINES = 60_000
TEXT = '{"Message":"aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Q="}'


class CountingPeer:
    def __init__(self, wsid: str) -> None:
        self.wsid = wsid
        self.frames = 0

    def send(self, frame: bytes) -> None:
        self.frames += 1

    def close(self, code: int, reason: str) -> None:
        pass


async def main() -> None:
    unlimited = "0/1"
    settings = Settings(
        rate_messages=unlimited,
        rate_messages_per_ip=unlimited,
        rate_joins=unlimited,
        rate_nicks=unlimited,
        history_on_join=0,
    )
    hub = Hub(settings, MemoryStore(), MemoryBroker(), MemoryPresence())
    await hub.start()
    members: list[Member] = []
    for room in range(100):
        for n in range(10):
            peer = CountingPeer(f"w{room}-{n}")
            members.append(await hub.connect(peer, room=f"room{room}", nick=f"n{room}x{n}"))
    await asyncio.sleep(0.1)
    start = time.thread_time()
    for _ in range(LINES // len(members)):
        for member in members:
            hub.dispatch(member, protocol.parse(TEXT))
        await asyncio.sleep(0)  # the store's futures resolve, the lines fan out
        await asyncio.sleep(0)
    elapsed = time.thread_time() - start
    await hub.stop()
    print(f"{elapsed / LINES * 1e6:.2f} us of CPU per line (parse, hub, store, encode, fan-out)")


if __name__ == "__main__":
    uvloop.run(main())
