"""SQLite room administration: creating and deleting rooms, restoring exported history
(``HistoryAdmin``), on the writer's thread and connection like every write; a room's recorded
spelling is read on the event loop's (``Reads.query``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Final

from roomcast.store.columns import import_bounds
from roomcast.store.sqlite.reads import Reads
from roomcast.store.sqlite.rows import LINE, stored_mentions
from roomcast.store.sqlite.writer import Writer
from roomcast.wire.attachments import stored_attachments
from roomcast.wire.protocol import ChatMessage, room_key

_SPELLING: Final = "SELECT name FROM room_names WHERE key = ?"


class RoomAdmin:
    """The ``HistoryAdmin`` part of the SQLite store."""

    def __init__(self, reads: Reads, writer: Writer) -> None:
        self._reads = reads
        self._writer = writer

    async def room_name(self, name: str, *, claim: bool) -> str:
        """A recorded spelling is read where it is (a room's first spelling never changes); only
        a room without one goes to the writer, which records ``name`` when ``claim``. After a
        restart every client's first join of a room was a hop to the writer thread and back."""
        key = room_key(name)
        rows = await self._reads.query(_SPELLING, (key,))
        if rows:
            return str(rows[0][0])
        if not claim:
            return name

        def spelling(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO room_names (key, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (key, name),
            )
            return str(conn.execute(_SPELLING, (key,)).fetchone()[0])  # ours, or the first

        return await self._writer.run(spelling)

    async def create_room(self, name: str, topic: str = "") -> bool:
        def create(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms, topic) VALUES (?, 0, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET deleted = 0, topic = excluded.topic"
                " WHERE deleted = 1",
                (name, time.time_ns() // 1_000_000, topic),
            )
            return cursor.rowcount == 1

        return await self._writer.run(create)

    async def delete_room(self, name: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE rooms SET deleted = 1, topic = '', private = 0, direct = 0,"
                " owner_id = NULL, owner_name = NULL WHERE name = ? AND deleted = 0",
                (name,),
            )
            if cursor.rowcount != 1:
                return False
            for table in ("messages", "reactions", "room_roles", "sanctions", "mentions"):
                conn.execute(f"DELETE FROM {table} WHERE room = ?", (name,))
            # It leaves everyone's rooms; the read markers stay, as its IDs continue.
            conn.execute("UPDATE person_rooms SET joined = 0 WHERE room = ?", (name,))
            return True

        return await self._writer.run(delete, settle=True)

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        bounds = import_bounds(messages)

        def store(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.executemany(
                f"INSERT INTO messages ({LINE}, deleted)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (room, id) DO NOTHING",
                [(*_line(m), int(m.deleted)) for m in messages],
            )
            added = conn.total_changes - before
            conn.executemany(
                "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE"
                " SET last_id = max(last_id, excluded.last_id), deleted = 0",
                [(room, last, first_ms) for room, (last, first_ms) in bounds.items()],
            )
            return added

        return await self._writer.run(store, settle=True)


def _line(m: ChatMessage) -> tuple[object, ...]:
    """The ``rows.LINE`` columns of an imported line."""
    return (
        m.room, m.id, m.author, m.text, m.wsid, m.sent_ms, m.reply_to, m.thread, m.edited_ms,
        stored_mentions(m.mentions), stored_attachments(m.attachments),
    )  # fmt: skip
