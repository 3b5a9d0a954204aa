"""SQLite search (``SearchStore``): the FTS5 index (search_index.py) and what it has not taken
in yet, answered together so that a line is found the moment it is acknowledged.

A search runs on a thread of its own, on a connection to the index with the store's database
attached read-only, in one read transaction:

1. the rooms the reader may read (in SQL, from ``rooms`` and ``room_roles``);
2. the tail: per readable room, the events after the room's watermark (``_TAIL_ROWS`` in all,
   shared out among the rooms behind by ``tail_shares``); its lines are evaluated in Python
   (``search.matches``), and the lines its edits and deletions name are stale in the index;
3. the index: with a room, its newest matches below ``before`` (``ORDER BY rowid DESC``, the room
   named by its ``tag`` token so FTS5 intersects in C); across rooms, the best matches by
   ``rank`` (bm25) among the newest lines (``rowid > X``, which FTS5 takes into its index): the
   matches of the newest ``WINDOW`` are counted, the first window ranked is the one expected to
   hold about ``RANKED`` (``narrowed``), and it is widened ``WIDEN`` times until more than
   ``limit`` are found;
4. the current state of the chosen lines, also those still in the writer's journal (asked for
   before the transaction began): a deleted line is dropped, an edited one evaluated again by
   its text now, so stale index entries never show.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import orjson

from roomcast.store.base import StoreUnavailable
from roomcast.store.search import (
    DEFAULT_SEARCH_LIMIT,
    WIDEN,
    WINDOW,
    Query,
    Reader,
    SearchPage,
    Term,
    narrowed,
    page_of,
)
from roomcast.store.sqlite.connection import Synchronous
from roomcast.store.sqlite.rows import LINE, chat_line
from roomcast.store.sqlite.search_index import Indexer, open_index, room_tag
from roomcast.store.sqlite.writer import Writer
from roomcast.wire.protocol import ChatMessage, ReactionSummary

# How much of what the index has not taken in a search evaluates in Python, in all. The indexer
# keeps the tail to a second or so of traffic; only while it builds the index of a large
# existing database, or falls behind a burst, do older lines wait for it.
_TAIL_ROWS: Final = 20_000

Key = tuple[str, int]

_READABLE: Final = (
    "INSERT INTO temp.readable (name) SELECT name FROM src.rooms WHERE deleted = 0"
    " AND (? OR private = 0 OR owner_id = ?"
    " OR name IN (SELECT room FROM src.room_roles WHERE account_id = ?))"
)
_BEHIND: Final = (
    "SELECT r.name, coalesce(w.indexed, 0), x.last_id FROM temp.readable r"
    " JOIN src.rooms x ON x.name = r.name LEFT JOIN watermarks w ON w.room = r.name"
    " WHERE x.last_id > coalesce(w.indexed, 0)"
)
_TAIL: Final = (
    f"SELECT {LINE}, kind, target, deleted FROM src.messages"
    " WHERE room = ? AND id > ? ORDER BY id LIMIT ?"
)
_IN_ROOM: Final = (
    "SELECT d.room, d.id FROM fts JOIN docs d ON d.rowid = fts.rowid"
    " WHERE fts MATCH ?{} ORDER BY fts.rowid DESC LIMIT ?"
)
_ACROSS: Final = (
    "SELECT d.room, d.id FROM fts JOIN docs d ON d.rowid = fts.rowid"
    " WHERE fts MATCH ? AND fts.rowid > ? AND d.room IN (SELECT name FROM temp.readable){}"
    " ORDER BY fts.rank LIMIT ?"
)
# The lines of a JSON array of [room, id] keys: the keys drive the join (CROSS JOIN), so each is
# one descent of the primary key (as ``(room, id) IN (...)`` the planner scans the whole room).
_COUNT: Final = "SELECT count(*) FROM fts WHERE fts MATCH ? AND rowid > ?"
_KEYS: Final = (
    "json_each(?) k CROSS JOIN {}"
    " ON m.room = json_extract(k.value, '$[0]') AND m.{} = json_extract(k.value, '$[1]')"
)
_LINES: Final = (
    f"SELECT {', '.join('m.' + c for c in LINE.split(', '))}"
    f" FROM {_KEYS.format('src.messages m', 'id')} WHERE m.kind IS NULL AND m.deleted = 0"
)
_REACTIONS: Final = (
    f"SELECT m.room, m.target, m.emoji, m.name FROM {_KEYS.format('src.reactions m', 'target')}"
    " ORDER BY m.room, m.target, m.first_id, m.id"
)
_REPLIES: Final = (
    "SELECT m.room, m.thread, count(*) FROM"
    f" {_KEYS.format('src.messages m INDEXED BY messages_thread', 'thread')}"
    " WHERE m.thread IS NOT NULL AND m.kind IS NULL AND m.deleted = 0 GROUP BY m.room, m.thread"
)


def tail_shares(behind: Sequence[int], budget: int) -> list[int]:
    """How many of its newest events the tail takes of each room ``behind`` the index by so
    many: all of them while they fit in ``budget``, else an even share, and what a room needs
    less than its share of goes to the others (so one burst in one room is evaluated whole,
    and many rooms behind each get their newest lines)."""
    shares = [0] * len(behind)
    left = budget
    by_need = sorted(range(len(behind)), key=behind.__getitem__)
    for place, room in enumerate(by_need):
        shares[room] = min(behind[room], left // (len(by_need) - place))
        left -= shares[room]
    return shares


def fts_match(query: Query, room: str | None) -> str:
    """The FTS5 query of ``query`` (of ``room`` alone, when given): every word is a run of
    letters and digits, quoted, so no FTS5 syntax can come from the client."""

    def phrase(term: Term) -> str:
        quoted = '"' + " ".join(term.words) + '"'
        return quoted + " *" if term.prefix else quoted

    expression = " AND ".join(phrase(term) for term in query.required)
    for term in query.excluded:
        expression = f"({expression}) NOT {phrase(term)}"
    expression = f"body : ({expression})"
    return expression if room is None else f'tag : "{room_tag(room)}" AND {expression}'


def _keys(keys: Iterable[Key]) -> str:
    return orjson.dumps(list(keys)).decode()


class Search:
    """The ``SearchStore`` part of the SQLite store, and its index's thread."""

    def __init__(
        self, path: Path, synchronous: Synchronous, writer: Writer, *, index: bool
    ) -> None:
        self._path = path
        self._synchronous = synchronous
        self._writer = writer
        self._indexer = Indexer(path, synchronous) if index else None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-search")
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    @property
    def indexer(self) -> Indexer | None:
        return self._indexer

    async def open(self) -> None:
        """Bring the index's schema up to date (a new one is empty), then start the indexer."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._connection)
        if self._indexer is not None:
            self._indexer.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._indexer is not None:
            await asyncio.to_thread(self._indexer.stop)
        await asyncio.get_running_loop().run_in_executor(self._thread, self._disconnect)
        self._thread.shutdown(wait=True)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_index(self._path, self._synchronous)
            self._conn.execute("CREATE TEMP TABLE readable (name TEXT PRIMARY KEY)")
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def search(
        self,
        query: Query,
        reader: Reader,
        *,
        room: str | None = None,
        author: str | None = None,
        before: int | None = None,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> SearchPage:
        journal = await self._writer.journaled_lines()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                self._thread, self._find, query, reader, room, author, before, limit, journal
            )
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the search failed: {exc}") from exc

    # -- on the search thread -------------------------------------------------------------------

    def _find(
        self,
        query: Query,
        reader: Reader,
        room: str | None,
        author: str | None,
        before: int | None,
        limit: int,
        journal: list[tuple[Any, ...]],
    ) -> SearchPage:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            conn.execute("DELETE FROM temp.readable")
            account = reader.account_id
            conn.execute(
                _READABLE + ("" if room is None else " AND name = ?"),
                (reader.admin, account, account, *(() if room is None else (room,))),
            )
            readable = {name for (name,) in conn.execute("SELECT name FROM temp.readable")}
            if not readable:
                return SearchPage((), False)
            lines, stale = self._tail(conn)
            lines.extend(chat_line(row) for row in journal if row[0] in readable)
            tail = page_of(query, lines, room=room, author=author, before=before, limit=limit)
            indexed, more = self._indexed(conn, query, room, author, before, limit, stale)
            keys = {(f.message.room, f.message.id) for f in tail.found}
            keys.update(indexed)
            keys.update(key for key in stale if key[0] in readable)
            current = self._current(conn, keys, journal)
        finally:
            conn.execute("COMMIT")
        return page_of(
            query,
            current,
            room=room,
            author=author,
            before=before,
            limit=limit,
            more=more or tail.more,
        )

    def _tail(self, conn: sqlite3.Connection) -> tuple[list[ChatMessage], set[Key]]:
        """The live lines after the readable rooms' watermarks, and the lines earlier events
        changed (edited or deleted: stale in the index)."""
        lines: list[ChatMessage] = []
        stale: set[Key] = set()
        behind = conn.execute(_BEHIND).fetchall()
        shares = tail_shares([last_id - mark for _, mark, last_id in behind], _TAIL_ROWS)
        for (name, mark, last_id), share in zip(behind, shares, strict=True):
            if not share:
                continue
            rows = conn.execute(_TAIL, (name, max(mark, last_id - share), share)).fetchall()
            for row in rows:
                kind, target, deleted = row[-3:]  # rows.EVENT: a LINE, then these
                if kind is None:
                    if not deleted:
                        lines.append(chat_line(row[:-3]))
                elif kind in ("edit", "delete") and target <= mark:
                    stale.add((name, target))
        return lines, stale

    def _indexed(
        self,
        conn: sqlite3.Connection,
        query: Query,
        room: str | None,
        author: str | None,
        before: int | None,
        limit: int,
        stale: set[Key],
    ) -> tuple[list[Key], bool]:
        """The index's matches (stale ones left out) to choose the page from, and whether more
        exist than those."""
        extra = ""
        params: list[Any] = []
        if before is not None:
            extra += " AND d.id < ?"
            params.append(before)
        if author is not None:
            extra += " AND d.author = ?"
            params.append(author)
        fetch = limit + 1 + len(stale)
        match = fts_match(query, room)
        if room is not None:
            found = self._fresh(conn, _IN_ROOM.format(extra), (match, *params, fetch), stale)
        else:
            top = conn.execute("SELECT coalesce(max(rowid), 0) FROM docs").fetchone()[0]
            counted = conn.execute(_COUNT, (match, top - WINDOW)).fetchone()[0]
            size = narrowed(WINDOW, counted)
            while True:
                low = max(top - size, 0)
                found = self._fresh(
                    conn, _ACROSS.format(extra), (match, low, *params, fetch), stale
                )
                if len(found) > limit or low == 0:
                    break
                size *= WIDEN
        return found, len(found) > limit

    @staticmethod
    def _fresh(
        conn: sqlite3.Connection, sql: str, params: tuple[Any, ...], stale: set[Key]
    ) -> list[Key]:
        """The keys ``sql`` finds in the index, without the stale ones."""
        found = ((str(room), int(number)) for room, number in conn.execute(sql, params))
        return [key for key in found if key not in stale]

    def _current(
        self, conn: sqlite3.Connection, keys: set[Key], journal: list[tuple[Any, ...]]
    ) -> list[ChatMessage]:
        """The lines ``keys`` that are live now, in their current state."""
        journaled = {(row[0], row[1]): row for row in journal}
        wanted = [key for key in keys if key not in journaled]
        rows = {(row[0], row[1]): row for row in conn.execute(_LINES, (_keys(wanted),))}
        names: dict[Key, dict[str, list[str]]] = {}
        for room, target, emoji, name in conn.execute(_REACTIONS, (_keys(rows),)):
            names.setdefault((room, target), {}).setdefault(emoji, []).append(name)
        replies = {
            (room, thread): count for room, thread, count in conn.execute(_REPLIES, (_keys(rows),))
        }
        current = [
            chat_line(
                row,
                reactions=tuple(
                    ReactionSummary(emoji, tuple(who)) for emoji, who in names.get(key, {}).items()
                ),
                replies=replies.get(key, 0),
            )
            for key, row in rows.items()
        ]
        current.extend(chat_line(journaled[key]) for key in keys if key in journaled)
        return current
