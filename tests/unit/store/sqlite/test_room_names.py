"""Migration 0008: an SQLite database whose room names collide once names are case-insensitive
keeps every room, the oldest under its name, the others renamed NAME-N with all they hold."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import orjson

from legacy_rooms import JOURNALED, ROWS, check_migrated
from roomcast.store.migrations import migrations
from roomcast.store.sqlite import SQLiteStore


def _release_before_room_names(path: Path) -> None:
    """A database as the release before 0008 left it when killed, a line still journaled."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for migration in migrations("sqlite"):
            if migration.version < 8:
                conn.executescript(
                    f"BEGIN; {migration.sql}; PRAGMA user_version={migration.version}; COMMIT;"
                )
        for table, (columns, rows) in ROWS.items():
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        conn.execute("INSERT INTO message_journal (batch) VALUES (?)", (orjson.dumps([JOURNALED]),))
        conn.commit()


async def test_colliding_rooms_are_kept_apart_under_new_names(tmp_path: Path) -> None:
    path = tmp_path / "before.db"
    _release_before_room_names(path)
    store = SQLiteStore(path)
    await store.open()
    try:
        await check_migrated(store)
    finally:
        await store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (8,)
        assert conn.execute("SELECT count(*) FROM message_journal").fetchone() == (0,)
        # Every room name of the database has its spelling recorded.
        unnamed = conn.execute(
            "SELECT name FROM rooms WHERE name NOT IN (SELECT name FROM room_names)"
        ).fetchall()
        assert unnamed == []
