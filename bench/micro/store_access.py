"""Access-control writes of the SQLite store: what a login or a moderation action costs, and
what they cost the messages being committed meanwhile.

1. ``login``: one ``add_credential`` and one ``credential`` lookup, awaited one after another;
   ``moderation``: ``add_sanction``, ``add_audit`` and ``lift_sanctions``. Wall time and process
   CPU per action.
2. ``appends``: 20,000 pipelined appends over 100 rooms, alone and with a moderation action
   every 2 ms beside them: messages per second.

Run: .venv/bin/python bench/micro/store_access.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from roomcast.store.base import Account, AuditEntry, Credential, NewMessage, Sanction
from roomcast.store.sqlite import SQLiteStore

NOW = 1_800_000_000_000
ACTIONS = 500
APPENDS = 20_000


async def per_action(action: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    """Wall and CPU microseconds per action."""
    wall, cpu = time.perf_counter(), time.process_time()
    for number in range(ACTIONS):
        await action(number)
    return (
        (time.perf_counter() - wall) / ACTIONS * 1e6,
        (time.process_time() - cpu) / ACTIONS * 1e6,
    )


async def appends_per_second(store: SQLiteStore, moderate: bool) -> float:
    stop = asyncio.Event()

    async def moderation() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            await store.add_audit(AuditEntry(NOW, "mod", "mute", "room-1", f"u{number}"))
            await asyncio.sleep(0.002)

    beside = asyncio.create_task(moderation()) if moderate else None
    start = time.perf_counter()
    await asyncio.gather(
        *(
            store.append(NewMessage(f"room-{n % 100}", "a", "hello world", "w", 0))
            for n in range(APPENDS)
        )
    )
    elapsed = time.perf_counter() - start
    stop.set()
    if beside is not None:
        await beside
    return APPENDS / elapsed


async def main() -> None:
    store = SQLiteStore(Path(tempfile.mkdtemp()) / "access.db")
    await store.open()
    account = Account("id-a", "alice", "alice", "$argon2id$hash", NOW)
    await store.create_account(account)

    async def login(number: int) -> None:
        await store.add_credential(
            Credential(f"c{number}", "session", account.id, f"h{number}", "", NOW, None)
        )
        assert await store.credential(f"h{number}", NOW) is not None

    async def moderation(number: int) -> None:
        name = f"user{number}"
        await store.add_sanction(
            Sanction("lobby", "mute", None, None, name, name, None, "mod", "", NOW)
        )
        await store.add_audit(AuditEntry(NOW, "mod", "mute", "lobby", name))
        await store.lift_sanctions("lobby", "mute", account_id=None, name_key=name)

    for label, action in (("login", login), ("moderation", moderation)):
        wall, cpu = await per_action(action)
        print(f"{label:10s} {wall:7.0f} us wall  {cpu:7.0f} us CPU per action")
    alone = await appends_per_second(store, moderate=False)
    beside = await appends_per_second(store, moderate=True)
    print(f"appends    {alone:7.0f} msgs/s alone  {beside:7.0f} msgs/s beside moderation")
    await store.close()


if __name__ == "__main__":
    asyncio.run(main())
