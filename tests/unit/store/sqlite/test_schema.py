"""The SQLite schema: a database made by an earlier release opens and keeps its history."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from roomcast.store.base import NewMessage
from roomcast.store.migrations import migrations
from roomcast.store.sqlite import SQLiteStore
from roomcast.store.sqlite.schema import migrate


def _made_by_release(path: Path, version: int) -> None:
    """A database as a release whose newest migration was ``version`` left it, with history."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for migration in migrations("sqlite"):
            if migration.version <= version:
                conn.executescript(
                    f"BEGIN; {migration.sql}; PRAGMA user_version={migration.version}; COMMIT;"
                )
        conn.executemany(
            "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [("lobby", n, "alice", f"old {n}", "w1", n, "acct", f"s:r{n}") for n in (1, 2)],
        )
        conn.execute("INSERT INTO rooms (name, last_id, created_ms) VALUES ('lobby', 2, 1)")
        conn.commit()


async def test_every_earlier_schema_opens_with_its_history(tmp_path: Path) -> None:
    newest = migrations("sqlite")[-1].version
    for version in range(1, newest + 1):
        path = tmp_path / f"v{version}.db"
        _made_by_release(path, version)
        store = SQLiteStore(path)
        await store.open()
        try:
            assert [m.text for m in await store.page("lobby", None, 10)] == ["old 1", "old 2"]
            again = await store.append(
                NewMessage("lobby", "alice", "old 2", "w1", 3, sender="acct", ref="r2")
            )
            assert again.duplicate
            assert again.message.id == 2
            nxt = await store.append(NewMessage("lobby", "bob", "new", "w2", 4))
            assert nxt.message.id == 3
        finally:
            await store.close()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA user_version").fetchone() == (newest,)


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "chat.db", isolation_level=None)) as conn:
        migrate(conn)
        tables = conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
        migrate(conn)
        assert conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall() == tables
