"""The SQLite store copies its write-ahead log into the database file from its own thread."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

from roomcast.store.base import Appended, NewMessage, StoreUnavailable
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
        await store._writer.settled()  # the journaled messages are in `messages` after this
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


def _wal_salt(path: Path) -> bytes:
    """The log's salt: it changes each time the log starts again from its beginning."""
    with open(path.with_name(path.name + "-wal"), "rb") as wal:
        return wal.read(24)[16:24]


async def test_the_log_starts_again_while_messages_keep_coming(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    store = SQLiteStore(path)
    await store.open()
    in_flight = 0

    def done(outcome: Appended | StoreUnavailable) -> None:
        nonlocal in_flight
        in_flight -= 1
        assert isinstance(outcome, Appended)

    try:
        salts: set[bytes] = set()
        deadline = time.monotonic() + 5
        # Commits back to back, 100 rooms each, so the writer is never idle when a checkpoint
        # ends: only the writer's own finishing step lets the log start again.
        while len(salts) < 3 and time.monotonic() < deadline:
            if in_flight < 2000:
                for n in range(100):
                    in_flight += 1
                    store.submit(NewMessage(f"room-{n}", "bob", "x" * 100, "w2", 0), done)
            await asyncio.sleep(0.001)
            salts.add(_wal_salt(path))
        assert len(salts) >= 3, "the log never started again: it grows for as long as writes go on"
    finally:
        await store.close()
