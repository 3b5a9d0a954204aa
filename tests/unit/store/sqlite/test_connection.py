"""SQLite connections: the settings every one gets, and what the writer's does on opening."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import orjson

from roomcast.store.migrations import migrations
from roomcast.store.sqlite.connection import connect, open_writer


def test_connections_use_wal_and_the_chosen_durability(tmp_path: Path) -> None:
    with contextlib.closing(connect(tmp_path / "chat.db", "FULL")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (5000,)
        assert conn.isolation_level is None


def test_the_writer_migrates_moves_the_journal_and_leaves_checkpoints_out(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    open_writer(path, "NORMAL").close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = [["lobby", 1, "a", "left by a crash", "w", 1, None, None]]
        conn.execute("INSERT INTO message_journal (batch) VALUES (?)", (orjson.dumps(rows),))
        conn.commit()
    with contextlib.closing(open_writer(path, "NORMAL")) as conn:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        assert conn.execute("PRAGMA journal_size_limit").fetchone() == (32 << 20,)
        newest = migrations("sqlite")[-1].version
        assert conn.execute("PRAGMA user_version").fetchone() == (newest,)
        assert conn.execute("SELECT body FROM messages").fetchall() == [("left by a crash",)]
