"""The SQLite schema: a database made by an earlier release opens and keeps its history."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import orjson
import pytest

from roomcast.store.base import (
    EDIT,
    Change,
    ChangeRefused,
    NewMessage,
    RoomSummary,
    owner_key,
)
from roomcast.store.migrations import migrations
from roomcast.store.sqlite import SQLiteStore
from roomcast.store.sqlite.schema import migrate
from roomcast.wire.protocol import ChatMessage

T0 = 1_700_000_000_000


def _made_by_release(path: Path, version: int) -> None:
    """A database as a release whose newest migration was ``version`` left it, with history."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for migration in migrations("sqlite"):
            if migration.version <= version:
                conn.executescript(
                    f"BEGIN; {migration.sql}; PRAGMA user_version={migration.version}; COMMIT;"
                )
        conn.executemany(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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


def _release_before_conversations(path: Path) -> None:
    """A database as the release at schema version 4 left it when killed: two lines moved, one
    still in the journal (the room's last ID counts it), a topic, an account, a sanction."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for migration in migrations("sqlite"):
            if migration.version <= 4:
                conn.executescript(
                    f"BEGIN; {migration.sql}; PRAGMA user_version={migration.version}; COMMIT;"
                )
        conn.executemany(
            "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("lobby", 1, "guest-1", "first", "w1", T0 + 1, "sess-1", "s:r1"),
                ("lobby", 2, "system", "from the server", "system", T0 + 2, None, None),
            ],
        )
        journaled = [["lobby", 3, "guest-1", "journaled", "w1", T0 + 3, "sess-1", "i:7"]]
        conn.execute("INSERT INTO message_journal (batch) VALUES (?)", (orjson.dumps(journaled),))
        conn.execute(
            "INSERT INTO rooms (name, last_id, created_ms, topic) VALUES ('lobby', 3, 1, 'hi')"
        )
        conn.execute(
            "INSERT INTO accounts (id, name, key, password_hash, created_ms)"
            " VALUES ('id-a', 'Alice', 'alice', 'hash', 1)"
        )
        conn.execute(
            "INSERT INTO sanctions (room, kind, name, name_key, by_name, reason, created_ms)"
            " VALUES ('lobby', 'mute', 'bob', 'bob', 'Alice', '', 1)"
        )
        conn.commit()


async def test_the_release_before_conversations_opens_and_keeps_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.db"
    _release_before_conversations(path)
    store = SQLiteStore(path)
    await store.open()
    try:
        page = await store.page("lobby", None, 10)
        assert page == [
            ChatMessage("lobby", 1, "guest-1", "first", "w1", T0 + 1),
            ChatMessage("lobby", 2, "system", "from the server", "system", T0 + 2),
            ChatMessage("lobby", 3, "guest-1", "journaled", "w1", T0 + 3),
        ]
        assert await store.after("lobby", 0, 10) == page
        assert await store.versions("lobby", 3) == [("journaled", T0 + 3)]
        assert await store.room("lobby") == RoomSummary("lobby", 3, "hi")
        assert await store.account_by_key("alice") is not None
        assert [s.name for s in await store.sanctions("lobby", T0)] == ["bob"]
        # Refs of the old lines, moved or journaled, are still known.
        for ref, line_id in (("r1", 1), (7, 3)):
            again = await store.append(
                NewMessage("lobby", "guest-1", "x", "w1", T0, sender="sess-1", ref=ref)
            )
            assert (again.duplicate, again.message.id) == (True, line_id)
        # A guest's old lines stay editable from its session; a line without sender by nobody.
        for target in (1, 3):
            edited = await store.change(
                Change("lobby", target, EDIT, owner_key(None, "sess-1"), "guest-1", "new", "w1", T0)
            )
            assert edited.event is not None
        with pytest.raises(ChangeRefused):
            await store.change(
                Change("lobby", 2, EDIT, owner_key(None, "sess-1"), "guest-1", "new", "w1", T0)
            )
        assert (await store.append(NewMessage("lobby", "bob", "next", "w2", T0))).message.id == 6
    finally:
        await store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (migrations("sqlite")[-1].version,)
        assert conn.execute("SELECT count(*) FROM message_journal").fetchone() == (0,)
