"""The SQLite message journal: commits append their messages to it as one row, moves take them
into ``messages``, and ``Journaled`` is the writer's record of what it journaled and not yet moved.

A commit that wrote straight into ``messages`` (keyed by room, id) would dirty a B-tree page per
room it touches; a journal row is a few pages however many rooms its messages fall in. Journal
rows move into ``messages``, sorted by room, once thousands have gathered (see ``writer``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, Final

import orjson

from roomcast.store.base import Appended
from roomcast.store.sqlite.rows import line_owner
from roomcast.store.sqlite.transaction import immediate

# Most rows per INSERT statement: 12 columns x 256 rows stays far below SQLite's variable limit.
_ROWS_PER_STATEMENT: Final = 256
JOURNAL_INSERT: Final = "INSERT INTO message_journal (batch) VALUES (?)"
# A journaled line: the columns of ``messages`` a new line sets, in this order. A line with no
# owner to store (a guest's, see ``rows.stored_owner``), no reply, no thread, no mentions and no
# attachments has only the first 8, as every line had before conversations: binding the 5 more
# columns would cost the move 20 % more per message (bench/micro/sqlite_rooms.py). Such a line
# without a ref has only the first 7: Python's sqlite3 binds a None through its adapter lookup,
# whose failed attribute lookups raise and clear an exception, some 4,300 instructions, an eighth
# of what the move's insert of the row costs (callgrind, docs/decisions.md); the move leaves out
# the None columns of wider rows (``_insert_wide``). Rows of 11 (without ``mentions``) and 12
# (without ``attachments``) are those of earlier releases, which a crash may have left journaled.
JOURNAL_COLUMNS: Final = (
    "room, id, author, body, wsid, sent_ms, sender, ref, owner, reply_to, thread, mentions,"
    " attachments"
)
_COLUMNS: Final = JOURNAL_COLUMNS.split(", ")
BARE_WIDTH: Final = 7
PLAIN_WIDTH: Final = 8
# The INSERT into ``messages`` of journal rows of a plain line's widths (wider ones: by shape).
_INSERTS: Final = {
    width: f"INSERT INTO messages ({', '.join(_COLUMNS[:width])}) VALUES"
    for width in (BARE_WIDTH, PLAIN_WIDTH)
}
BARE_INSERT: Final = _INSERTS[BARE_WIDTH]
_MOVE_TAIL: Final = " ON CONFLICT (room, id) DO NOTHING"
# A commit's last ID per room it wrote to, with multi-row VALUES.
ROOMS_UPSERT: Final = "INSERT INTO rooms (name, last_id, created_ms) VALUES"
ROOMS_UPSERT_TAIL: Final = (
    " ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, deleted = 0"
)

# The message rows of journal rows, by the journal row's seq.
Batches = dict[int, list[tuple[Any, ...]]]
# A journaled message by (sender, ref key), as its re-send is answered.
Refs = dict[tuple[str | None, str], Appended]
# Run at the start of a move's transaction: the writer's check for writes of other connections.
CatchUp = Callable[[sqlite3.Connection], None]


def insert_many(
    conn: sqlite3.Connection, head: str, rows: list[tuple[Any, ...]], tail: str = ""
) -> None:
    """Insert ``rows`` with multi-row ``VALUES`` statements rather than ``executemany``.

    Each statement is one call into SQLite, so the writer thread gives up and takes back the GIL
    once per chunk instead of once per row, and a busy event loop cannot stall a commit row by
    row. Chunks have power-of-two sizes, so the few distinct statements stay in the connection's
    statement cache instead of being compiled again for every batch size.
    """
    if not rows:
        return
    width = len(rows[0])
    placeholders = "(" + ", ".join("?" * width) + ")"
    start = 0
    while start < len(rows):
        size = min(_ROWS_PER_STATEMENT, 1 << ((len(rows) - start).bit_length() - 1))
        chunk = rows[start : start + size]
        start += size
        values = ", ".join([placeholders] * size)
        conn.execute(f"{head} {values}{tail}", list(chain.from_iterable(chunk)))


def move_journal(conn: sqlite3.Connection) -> int:
    """Move every message of the journal table into ``messages``; the number moved.

    For a database whose writer stopped without moving them (a crash), and for a backup copy.
    """
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'message_journal'").fetchone():
        return 0  # a database from before the journal
    return move_batches(conn, None)


def still_journaled(conn: sqlite3.Connection, batches: Batches) -> set[int]:
    """The journal rows of ``batches`` that are still in the journal table."""
    if not batches:
        return set()
    rows = conn.execute(
        "SELECT seq FROM message_journal WHERE seq BETWEEN ? AND ?", (min(batches), max(batches))
    )
    return {seq for (seq,) in rows if seq in batches}


def move_batches(conn: sqlite3.Connection, batches: Batches | None) -> int:
    """In one transaction, move journal rows into ``messages``; the number of messages moved.

    ``batches``: the messages of the journal rows this connection wrote, by journal row. Only those
    still in the journal move: another connection (an admin command opening the database) may
    have moved some meanwhile, and a message it moved may since have been deleted. None: every
    journal row, read from the table. Messages already in ``messages`` are left as they are.
    """
    with immediate(conn):
        if batches is None:
            found = {
                seq: [tuple(row) for row in orjson.loads(batch)]
                for seq, batch in conn.execute(
                    "SELECT seq, batch FROM message_journal ORDER BY seq"
                )
            }
        else:
            present = still_journaled(conn, batches)
            found = {seq: rows for seq, rows in batches.items() if seq in present}
        rows = by_room(found)
        _insert(conn, rows)
        _delete(conn, found)
    return len(rows)


def by_room(batches: Batches) -> list[tuple[Any, ...]]:
    """The message rows of ``batches`` sorted by room: a stable sort keeps each room's rows in
    ID order, as the commits made them, so each room's messages go in one after another, on the
    same B-tree pages, and the rows' order is that of their (room, id)."""
    return sorted(chain.from_iterable(batches.values()), key=itemgetter(0))


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert journaled message rows into ``messages``, leaving those already there as they are."""
    widths = {len(row) for row in rows}
    for width in widths:  # as a rule one or two: guests' plain lines, and the others
        alike = rows if len(widths) == 1 else [row for row in rows if len(row) == width]
        if width > PLAIN_WIDTH:
            _insert_wide(conn, alike)
        else:
            insert_many(conn, _INSERTS[width], alike, _MOVE_TAIL)


def _delete(conn: sqlite3.Connection, batches: Collection[int]) -> None:
    conn.executemany("DELETE FROM message_journal WHERE seq = ?", [(seq,) for seq in batches])


def _insert_wide(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert journal rows wider than a plain line, each without its None columns (left to
    their defaults, NULL), grouped by the columns they set: a signed-in user's plain line has
    five Nones in its 13 columns, and each bound None costs some 4,300 instructions (above)."""
    shapes: dict[tuple[int, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        shape = tuple([n for n, value in enumerate(row) if value is not None])
        alike = shapes.get(shape)
        if alike is None:
            alike = shapes[shape] = []
        alike.append(row)
    for shape, alike in shapes.items():
        pick = itemgetter(*shape)  # at least room, id, author, body, wsid, sent_ms: a tuple
        head = f"INSERT INTO messages ({', '.join([_COLUMNS[n] for n in shape])}) VALUES"
        insert_many(conn, head, [pick(row) for row in alike], _MOVE_TAIL)


class _Move:
    """Journal rows being moved into ``messages`` a slice at a time: their message rows by
    journal row, the same rows sorted by room (``by_room``), how many of those have moved, and
    the refs they answer."""

    def __init__(self, batches: Batches, refs: Refs) -> None:
        self.batches = batches
        self.rows = by_room(batches)
        self.done = 0
        self.refs = refs

    def left(self) -> list[tuple[Any, ...]]:
        return self.rows[self.done :]

    def forget(self, present: Collection[int]) -> None:
        """Drop the journal rows not in ``present``: another connection moved them."""
        last = self.rows[self.done - 1][:2] if self.done else None
        self.batches = {seq: rows for seq, rows in self.batches.items() if seq in present}
        self.rows = [row for row in by_room(self.batches) if last is None or row[:2] > last]
        self.done = 0


class Journaled:
    """The writer thread's own record: its messages in the journal table, not yet moved to
    ``messages``, with their number and the refs they answer. ``batches``: by journal row, those
    no move has taken yet, and ``since``, when the oldest of them was committed; a move takes
    them all (``start_move``) and moves them a slice at a time (``move_slice``), so that the
    commits of new lines can go on between the slices. ``count`` grows only after the commit
    that journaled its rows and shrinks only after the commit that moved them: the event loop
    reads it too (``Writer._behind``).

    The same rows are indexed by room (``_rooms``, each room's oldest first, as ``_unmoved``
    yields them), so that the lines of one room, which every join and resume asks for, cost a
    lookup rather than a pass over every journaled line: in a reconnect storm those passes took
    nearly half of the server's time (bench/storm.py, py-spy)."""

    def __init__(self) -> None:
        self.batches: Batches = {}
        self.count = 0
        self.refs: Refs = {}
        self.since = 0.0
        self._moving: _Move | None = None
        self._rooms: dict[str, list[tuple[Any, ...]]] = {}

    @property
    def moving(self) -> bool:
        """A move has started and not ended."""
        return self._moving is not None

    def add(self, seq: int, rows: list[tuple[Any, ...]], refs: Refs) -> None:
        """One commit's journal row: its message rows and the refs they answer."""
        if not self.batches:
            self.since = time.monotonic()
        self.batches[seq] = rows
        self.count += len(rows)
        self.refs.update(refs)
        self._index(rows)

    def ref(self, key: tuple[str | None, str]) -> Appended | None:
        """The journaled message a line re-sent with this (sender, ref key) repeats."""
        found = self.refs.get(key)
        if found is None and self._moving is not None:
            found = self._moving.refs.get(key)
        return found

    def due_in(self, age: float) -> float | None:
        """Seconds until the oldest message no move has taken has been journaled ``age``; None
        when there is none."""
        if not self.batches:
            return None
        return max(0.0, self.since + age - time.monotonic())

    def start_move(self) -> None:
        """Let a move take every journal row no move has taken yet (none: when one is under
        way, or there is nothing to move)."""
        if self._moving is None and self.batches:
            self._moving = _Move(self.batches, self.refs)
            self.batches, self.refs = {}, {}

    def move_slice(self, conn: sqlite3.Connection, size: int, catch_up: CatchUp) -> None:
        """Move the next ``size`` messages of the move under way, in one transaction; the last
        slice also deletes its journal rows. On an error nothing moved, to try again later.
        ``catch_up`` runs first in that transaction: it calls ``forget_moved`` when another
        connection has written since it last looked."""
        moving = self._moving
        if moving is None:
            return
        with immediate(conn):
            catch_up(conn)
            rows = moving.rows[moving.done : moving.done + size]
            _insert(conn, rows)
            last = moving.done + len(rows) >= len(moving.rows)
            if last:
                _delete(conn, moving.batches)
        moving.done += len(rows)
        self.count -= len(rows)
        if last:
            self._moving = None
        # The slice's rows, sorted by room, are the oldest unmoved rows of each of its rooms.
        for room, moved in groupby(rows, itemgetter(0)):
            left = self._rooms[room]
            del left[: sum(1 for _ in moved)]
            if not left:
                del self._rooms[room]

    def move(self, conn: sqlite3.Connection, catch_up: CatchUp) -> None:
        """Move them all into ``messages``: the rest of a move under way in one transaction, then
        what no move had taken in another (``catch_up``: as for ``move_slice``). On an error the
        record stays, to try again later."""
        try:
            while self._moving is not None or self.batches:
                self.start_move()
                self.move_slice(conn, self.count, catch_up)
        except sqlite3.Error:
            self.since = time.monotonic()
            raise

    def _unmoved(self) -> Iterator[tuple[Any, ...]]:
        if self._moving is not None:
            yield from self._moving.left()
        for rows in self.batches.values():
            yield from rows

    def _index(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Add ``rows``, newer than every row indexed, to ``_rooms``."""
        rooms = self._rooms
        for row in rows:
            alike = rooms.get(row[0])
            if alike is None:
                rooms[row[0]] = [row]
            else:
                alike.append(row)

    def in_room(self, room: str | None) -> list[tuple[Any, ...]]:
        """``room``'s journaled lines (every room's with None), oldest first, as ``rows.LINE``
        columns (never edited yet: a change moves the journal first)."""
        return [
            (*row[:6], None, None, None, None, None)
            if len(row) <= PLAIN_WIDTH
            else (*row[:6], row[9], row[10], None, row[11], row[12] if len(row) > 12 else None)
            for row in (self._unmoved() if room is None else self._rooms.get(room, ()))
        ]

    def owners_in(self, rooms: Collection[str]) -> list[tuple[Any, ...]]:
        """The journaled lines of ``rooms`` as (room, id, owner) (``rows.OWNER``; all live: a
        change moves the journal first)."""
        return [
            (row[0], row[1], line_owner(row[8] if len(row) > PLAIN_WIDTH else None, row[6]))
            for room in rooms
            for row in self._rooms.get(room, ())
        ]

    def forget_moved(self, conn: sqlite3.Connection) -> None:
        """Drop the journal rows another connection moved out of the journal table."""
        moving = self._moving
        if moving is not None:
            present = still_journaled(conn, moving.batches)
            if len(present) < len(moving.batches):
                left = len(moving.rows) - moving.done
                moving.forget(present)
                self.count -= left - len(moving.rows)
        if self.batches:
            present = still_journaled(conn, self.batches)
            for seq in [seq for seq in self.batches if seq not in present]:
                self.count -= len(self.batches.pop(seq))
        self._rooms = {}
        self._index(self._unmoved())
