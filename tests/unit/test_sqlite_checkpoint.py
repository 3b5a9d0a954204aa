"""The SQLite store copies its write-ahead log into the database file from its own thread."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from roomcast.store.base import NewMessage
from roomcast.store.sqlite import SQLiteStore


async def test_commits_leave_the_checkpoint_to_its_thread(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.append(NewMessage("lobby", "alice", "first", "w1", 1_700_000_000_000))
        size_after_migrations = path.stat().st_size
        # Far fewer pages than SQLite's automatic checkpoint waits for (1,000), in two commits.
        for _ in range(2):
            await asyncio.gather(
                *(
                    store.append(NewMessage(f"room-{n % 7}", "bob", "x" * 200, "w2", n))
                    for n in range(200)
                )
            )
        for _ in range(100):  # at most 5 s
            if path.stat().st_size > size_after_migrations:
                break
            await asyncio.sleep(0.05)
        assert path.stat().st_size > size_after_migrations, "the log was never checkpointed"
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("SELECT count(*) FROM messages").fetchone() == (401,)
    finally:
        await store.close()
    # The last connection to close checkpoints everything and removes the log.
    assert not (tmp_path / "chat.db-wal").exists()
