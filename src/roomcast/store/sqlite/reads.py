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

import orjson

from roomcast.store.base import EDIT, RoomSummary, StoreUnavailable
from roomcast.store.sqlite.connection import Synchronous, connect
from roomcast.store.sqlite.rows import EVENT, LINE, LIVE, chat_line, log_event
from roomcast.store.sqlite.writer import Writer
from roomcast.wire.protocol import ChatMessage, LogEvent, ReactionSummary

# Pages of history up to this many messages are read on the event loop's thread (see ``query``),
# unless a lock held elsewhere answers with one of these (primary result codes).
_INLINE_ROWS: Final = 200
_LOCK_ERRORS: Final = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
# Above every message ID; and where a thread is in the columns of ``rows.LINE``.
_NO_ID: Final = 2**63 - 1
_THREAD: Final = 7

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

    async def page(
        self, room: str, before: int | None, limit: int, thread: int | None = None
    ) -> list[ChatMessage]:
        """Three queries at most, however long the page: its lines, their reactions, the live
        replies of the thread roots among them."""
        if limit <= 0:
            return []
        upper = before if before is not None else _NO_ID
        journaled = await self._writer.journaled_in(room)
        inline = limit <= _INLINE_ROWS
        if thread is None:
            rows = await self.query(
                f"SELECT {LINE} FROM messages WHERE room = ? AND id < ? AND {LIVE}"
                " ORDER BY id DESC LIMIT ?",
                (room, upper, limit),
                inline=inline,
            )
        else:  # the replies by their index, the root by its key
            rows = await self.query(
                f"SELECT {LINE} FROM messages INDEXED BY messages_thread"
                f" WHERE room = ? AND thread = ? AND id < ? AND {LIVE} UNION ALL"
                f" SELECT {LINE} FROM messages WHERE room = ? AND id = ? AND id < ? AND {LIVE}"
                " ORDER BY id DESC LIMIT ?",
                (room, thread, upper, room, thread, upper, limit),
                inline=inline,
            )
        shown = [
            row
            for row in journaled
            if row[1] < upper and (thread is None or thread in (row[1], row[_THREAD]))
        ]
        # A line the writer moved meanwhile is in both: the row of ``messages`` is the newer.
        by_id = {row[1]: row for row in (*shown, *rows)}
        lines = [by_id[message_id] for message_id in sorted(by_id)[-limit:]]
        return await self._with_state(room, lines, journaled, inline)

    async def newer(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        if limit <= 0:
            return []
        journaled = await self._writer.journaled_in(room)
        inline = limit <= _INLINE_ROWS
        rows = await self.query(
            f"SELECT {LINE} FROM messages WHERE room = ? AND id > ? AND {LIVE} ORDER BY id LIMIT ?",
            (room, after_id, limit),
            inline=inline,
        )
        shown = [row for row in journaled if row[1] > after_id]
        by_id = {row[1]: row for row in (*shown, *rows)}
        lines = [by_id[message_id] for message_id in sorted(by_id)[:limit]]
        return await self._with_state(room, lines, journaled, inline)

    async def _with_state(
        self, room: str, lines: Rows, journaled: Rows, inline: bool
    ) -> list[ChatMessage]:
        """The ``LINE`` rows ``lines`` of ``room`` as messages, with their reactions and the
        live replies of the thread roots among them."""
        reactions = await self._reactions(room, [row[1] for row in lines], inline)
        roots = [row[1] for row in lines if row[_THREAD] is None]
        replies = await self._replies(room, roots, journaled, inline)
        return [
            chat_line(row, reactions=reactions.get(row[1], ()), replies=replies.get(row[1], 0))
            for row in lines
        ]

    async def _reactions(
        self, room: str, ids: list[int], inline: bool
    ) -> dict[int, tuple[ReactionSummary, ...]]:
        """The reactions on the lines ``ids``: per line, emoji in the order of first use, names
        in the order of reacting."""
        if not ids:
            return {}
        rows = await self.query(
            "SELECT target, emoji, name FROM reactions"
            " WHERE room = ? AND target IN (SELECT value FROM json_each(?))"
            " ORDER BY target, first_id, id",
            (room, orjson.dumps(ids).decode()),
            inline=inline,
        )
        names: dict[int, dict[str, list[str]]] = {}
        for target, emoji, name in rows:
            names.setdefault(target, {}).setdefault(emoji, []).append(name)
        return {
            target: tuple(ReactionSummary(emoji, tuple(who)) for emoji, who in emojis.items())
            for target, emojis in names.items()
        }

    async def _replies(
        self, room: str, roots: list[int], journaled: Rows, inline: bool
    ) -> dict[int, int]:
        """How many live replies each of the lines ``roots`` has: in ``messages``, then in the
        journal (whose lines come after every line in ``messages`` when it was read)."""
        if not roots:
            return {}
        first_journaled = min((row[1] for row in journaled), default=_NO_ID)
        counts: dict[int, int] = dict(
            await self.query(
                "SELECT thread, count(*) FROM messages INDEXED BY messages_thread WHERE room = ?"
                f" AND thread IN (SELECT value FROM json_each(?)) AND {LIVE} AND id < ?"
                " GROUP BY thread",
                (room, orjson.dumps(roots).decode(), first_journaled),
                inline=inline,
            )
        )
        wanted = set(roots)
        for row in journaled:
            if row[_THREAD] in wanted:
                counts[row[_THREAD]] = counts.get(row[_THREAD], 0) + 1
        return counts

    async def after(self, room: str, after_id: int, limit: int) -> list[LogEvent]:
        if limit <= 0:
            return []
        journaled = [
            (*row, None, None, 0)
            for row in await self._writer.journaled_in(room)
            if row[1] > after_id
        ]
        rows = await self.query(
            f"SELECT {EVENT} FROM messages WHERE room = ? AND id > ? ORDER BY id LIMIT ?",
            (room, after_id, limit),
            inline=limit <= _INLINE_ROWS,
        )
        by_id = {row[1]: row for row in (*journaled, *rows)}
        return [log_event(by_id[message_id]) for message_id in sorted(by_id)[:limit]]

    async def message(self, room: str, message_id: int) -> ChatMessage | None:
        row = await self._line(room, message_id)
        return None if row is None else chat_line(row[:11])

    async def versions(self, room: str, message_id: int) -> list[tuple[str, int]] | None:
        row = await self._line(room, message_id)
        if row is None:
            return None
        edits = await self.query(
            "SELECT body, sent_ms FROM messages INDEXED BY messages_target"
            " WHERE room = ? AND target = ? AND kind = ?"
            " ORDER BY id",
            (room, message_id, EDIT),
        )
        original = row[11] if row[11] is not None else row[3]
        return [(original, row[5]), *((text, sent_ms) for text, sent_ms in edits)]

    async def _line(self, room: str, message_id: int) -> tuple[Any, ...] | None:
        """The live line ``message_id`` as ``LINE`` columns and its ``original`` text (None
        when never edited), wherever it is: every line submitted before is looked for."""
        for row in await self._writer.journaled_in(room):
            if row[1] == message_id:
                return (*row, None)
        rows = await self.query(
            f"SELECT {LINE}, original FROM messages WHERE room = ? AND id = ? AND {LIVE}",
            (room, message_id),
        )
        return rows[0] if rows else None

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
