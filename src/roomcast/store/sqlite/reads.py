"""SQLite reads: short ones on the event loop's thread, long ones on a reader thread, each with a
long-lived connection of its own beside the writer's (in WAL mode a read never waits for it).

A read of history first waits for the messages submitted before it, and gets those of its room
still in the journal: it answers from them and from the ``messages`` table together (a row can
be in both when the writer moved it meanwhile).
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from roomcast.store.base import RoomSummary, StoreUnavailable
from roomcast.store.columns import MESSAGE
from roomcast.store.sqlite.connection import Synchronous, connect
from roomcast.store.sqlite.writer import Writer
from roomcast.wire.protocol import ChatMessage

# Pages of history up to this many messages are read on the event loop's thread (see ``query``),
# unless a lock held elsewhere answers with one of these (primary result codes).
_INLINE_ROWS: Final = 200
_LOCK_ERRORS: Final = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)

Rows = list[tuple[Any, ...]]


class Reads:
    """Queries for the store's parts, and the history reads of ``HistoryReads``."""

    def __init__(self, path: Path, synchronous: Synchronous, writer: Writer) -> None:
        self._path = path
        self._synchronous = synchronous
        self._writer = writer
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-read")
        self._read_conn: sqlite3.Connection | None = None
        self._inline_conn: sqlite3.Connection | None = None
        self._closed = False

    async def close(self) -> None:
        """Close both connections (after the writer closed: no read is taken any more)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._reader, self._close_reader)
        self._reader.shutdown(wait=True)
        if self._inline_conn is not None:
            self._inline_conn.close()
            self._inline_conn = None

    def _close_reader(self) -> None:
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None

    async def query(self, sql: str, params: tuple[Any, ...], *, inline: bool = True) -> Rows:
        """The rows of one query; ``inline`` for a short one (a row by key, a page of history).

        A short query runs on the event loop's own thread: in WAL mode a read never waits for
        the writer, and it costs a few microseconds where a hop to the reader thread and back
        costs about 100 of CPU (two thread switches on one core). Its connection has no busy
        timeout, so a lock held elsewhere (an exclusive one, a recovery) sends the query to the
        reader thread, which waits for it, instead of stalling the loop.
        """
        if self._writer.closed:
            raise StoreUnavailable("the store is closed")
        try:
            if inline:
                try:
                    return self._inline().execute(sql, params).fetchall()
                except sqlite3.OperationalError as exc:
                    if exc.sqlite_errorcode & 0xFF not in _LOCK_ERRORS:
                        raise
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._reader, self._on_reader, sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the message store failed: {exc}") from exc

    def _inline(self) -> sqlite3.Connection:
        if self._inline_conn is None:
            conn = connect(self._path, self._synchronous)
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA query_only=1")
            self._inline_conn = conn
        return self._inline_conn

    def _on_reader(self, sql: str, params: tuple[Any, ...]) -> Rows:
        if self._read_conn is None:
            self._read_conn = connect(self._path, self._synchronous)
        return self._read_conn.execute(sql, params).fetchall()

    # -- HistoryReads ---------------------------------------------------------------------------

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        if limit <= 0:
            return []
        upper = before if before is not None else 2**63 - 1
        journaled = [row for row in await self._writer.journaled_in(room) if row[1] < upper]
        rows = await self.query(
            f"SELECT {MESSAGE} FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (room, upper, limit),
            inline=limit <= _INLINE_ROWS,
        )
        return _in_id_order(rows, journaled)[-limit:]

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        if limit <= 0:
            return []
        journaled = [row for row in await self._writer.journaled_in(room) if row[1] > after_id]
        rows = await self.query(
            f"SELECT {MESSAGE} FROM messages WHERE room = ? AND id > ? ORDER BY id LIMIT ?",
            (room, after_id, limit),
            inline=limit <= _INLINE_ROWS,
        )
        return _in_id_order(rows, journaled)[:limit]

    async def last_id(self, room: str) -> int:
        rows = await self.query("SELECT last_id FROM rooms WHERE name = ?", (room,))
        return int(rows[0][0]) if rows else 0

    async def rooms(self) -> list[RoomSummary]:
        rows = await self.query(
            "SELECT name, last_id, topic, private FROM rooms WHERE deleted = 0 ORDER BY name",
            (),
            inline=False,  # every room
        )
        return [
            RoomSummary(name, last, topic, bool(private)) for name, last, topic, private in rows
        ]

    async def room(self, name: str) -> RoomSummary | None:
        rows = await self.query(
            "SELECT name, last_id, topic, private FROM rooms WHERE name = ? AND deleted = 0",
            (name,),
        )
        if not rows:
            return None
        room, last, topic, private = rows[0]
        return RoomSummary(room, last, topic, bool(private))


def _in_id_order(*sources: Rows) -> list[ChatMessage]:
    """Messages from rows of one room (``messages`` columns), once each, in ID order."""
    by_id = {row[1]: row for rows in sources for row in rows}
    return [ChatMessage(*by_id[message_id]) for message_id in sorted(by_id)]
