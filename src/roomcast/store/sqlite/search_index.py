"""The SQLite search index: an FTS5 table in a database file of its own, filled by a thread.

The index lives beside the store's database, in ``<database>-search``, so neither the writer's
commits nor its write lock ever wait for it. A thread of its own, at a lower priority, opens it,
attaches the store's database read-only and takes in new lines in batches: each batch is a few
``INSERT ... SELECT`` statements over the ``messages`` table, so the work runs inside SQLite
(without the GIL) and costs the writer thread nothing. What it has taken in is tracked per room
(``watermarks``: every event of the room up to that ID is in the index). An edit re-indexes its
line by the line's current text and a deletion drops the line; a deleted room's lines go.

Tables of the search database (migrations in ``store/migrations/sqlite_search``):

- ``docs``: one row per indexed line, its rowid the line's place in the index (increasing as
  lines are taken in, so the newest lines have the highest), with its room, ID and author;
- ``fts``: FTS5 over the line's text (``body``) and a token naming its room (``tag``, see
  ``room_tag``), tokenizer ``unicode61 remove_diacritics 2``; its rowid is the line's ``docs``
  rowid;
- ``watermarks``: per room, the highest ID taken in, and whether the room's lines were purged
  after it was deleted.

A database written before the index existed gets an empty index: the thread starts every room
at watermark 0 and catches up, while searches evaluate what is not yet taken in (search.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Final, NamedTuple

from roomcast.store.sqlite.connection import Synchronous, connect
from roomcast.store.sqlite.schema import migrate
from roomcast.store.sqlite.transaction import immediate

log = logging.getLogger(__name__)

# Most lines a batch takes in from one room, and most rooms per batch.
_ROOM_BATCH: Final = 2000
_ROOMS_PER_BATCH: Final = 256
# The pause after each batch: _PAUSE_BEHIND when it left lines for the next (``Taken.more``),
# _PAUSE when it took in all that is stored. A search evaluates at most 20,000 events beyond
# the index, shared among the rooms behind (search.py), so lines a batch left must not wait a
# full pause: older ones drop out of what a search sees. A batch reads the store's database in
# a read transaction, and the write-ahead log can only start again from its beginning while no
# reader is in one (checkpoint.py): batches back to back would let the log grow for as long as
# messages keep coming. Longer pauses make larger batches, which cost less per line (each
# commit of the index writes a new FTS5 segment, which later merges cost again): 10.4-11.1 us
# of the indexer's CPU per line with 0.25 s, 6.1-6.5 us with 1 s (bench/micro/search_index.py,
# 4,000 lines/s).
_PAUSE: Final = 1.0
_PAUSE_BEHIND: Final = 0.05
# The thread's niceness (Linux: per thread) above the server's, where SCHED_IDLE is missing.
_NICENESS: Final = 10


def index_path(path: Path) -> Path:
    """Where the search index of the database at ``path`` lives."""
    return path.with_name(path.name + "-search")


def room_tag(room: str) -> str:
    """The one-word token of a room in the index's ``tag`` column: ``r`` and the hex of its
    UTF-8 bytes (as SQLite's ``'r' || hex(room)`` writes it, folded to lower case)."""
    return "r" + room.encode().hex()


def attach_uri(path: Path) -> str:
    """The read-only URI of the store's database, to ATTACH."""
    return "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro"


def open_index(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    """A connection to the index of the database at ``path``, at the newest schema, with the
    store's database attached read-only as ``src``."""
    conn = connect(index_path(path), synchronous)
    migrate(conn, "sqlite_search")
    conn.execute("ATTACH DATABASE ? AS src", (attach_uri(path),))
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS span (room TEXT PRIMARY KEY, lo INT, hi INT)")
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS touched (room TEXT, id INT, PRIMARY KEY (room, id))"
    )
    return conn


# The rooms with events after their watermark, and the range of IDs this batch takes in: up to
# _ROOM_BATCH events of each (IDs may have gaps: an import).
_SPAN: Final = f"""
INSERT INTO temp.span (room, lo, hi)
SELECT name, lo, hi FROM (
  SELECT b.name, b.lo, (SELECT max(id) FROM (SELECT m.id FROM src.messages m
                                            WHERE m.room = b.name AND m.id > b.lo
                                            ORDER BY m.id LIMIT {_ROOM_BATCH})) AS hi
  FROM (SELECT r.name, coalesce(w.indexed, 0) AS lo FROM src.rooms r
        LEFT JOIN watermarks w ON w.room = r.name
        WHERE r.deleted = 0 AND r.last_id > coalesce(w.indexed, 0)) b
) WHERE hi IS NOT NULL LIMIT {_ROOMS_PER_BATCH}
"""
# The lines of a span, each with its current state. Every join below starts from the batch's
# own temporary tables (CROSS JOIN keeps that order): left to the planner, which has no
# statistics, it read the whole ``messages`` or ``docs`` table and probed the batch's, so that a
# batch of 4,000 new lines beside 1,000,000 stored cost 125-166 us of CPU per line instead of
# 8-12 (``bench/micro/search_index.py --big``).
_SPAN_ROWS: Final = (
    "FROM temp.span s CROSS JOIN src.messages m ON m.room = s.room AND m.id > s.lo AND m.id <= s.hi"
)
_STEPS: Final = (
    "DELETE FROM temp.span",
    "DELETE FROM temp.touched",
    _SPAN,
    # Lines indexed before whose edit or deletion this batch takes in.
    f"INSERT OR IGNORE INTO temp.touched (room, id) SELECT m.room, m.target {_SPAN_ROWS}"
    " WHERE m.kind IN ('edit', 'delete') AND m.target <= s.lo",
    "DELETE FROM fts WHERE rowid IN (SELECT d.rowid FROM temp.touched t"
    " CROSS JOIN docs d ON d.room = t.room AND d.id = t.id)",
    "DELETE FROM docs WHERE rowid IN (SELECT d.rowid FROM temp.touched t"
    " CROSS JOIN docs d ON d.room = t.room AND d.id = t.id"
    " LEFT JOIN src.messages m ON m.room = d.room AND m.id = d.id"
    " WHERE m.id IS NULL OR m.deleted = 1)",
    # The new lines, live now, with the text they have now.
    "INSERT INTO docs (room, id, author) SELECT m.room, m.id, m.author"
    f" {_SPAN_ROWS} WHERE m.kind IS NULL AND m.deleted = 0 ORDER BY m.room, m.id",
    "INSERT INTO fts (rowid, body, tag) SELECT d.rowid, m.body, 'r' || hex(d.room)"
    " FROM docs d JOIN src.messages m ON m.room = d.room AND m.id = d.id WHERE d.rowid > ?",
    "INSERT INTO fts (rowid, body, tag) SELECT d.rowid, m.body, 'r' || hex(d.room)"
    " FROM temp.touched t CROSS JOIN docs d ON d.room = t.room AND d.id = t.id"
    " CROSS JOIN src.messages m ON m.room = d.room AND m.id = d.id",
    "INSERT INTO watermarks (room, indexed, purged) SELECT room, hi, 0 FROM temp.span WHERE 1"
    " ON CONFLICT (room) DO UPDATE SET indexed = excluded.indexed, purged = 0",
)
# Whether a room of the batch has stored lines after what the batch took in (lines still in the
# writer's journal do not count: the batch could not have taken them).
_LEFT: Final = (
    "SELECT EXISTS (SELECT 1 FROM temp.span s WHERE EXISTS"
    " (SELECT 1 FROM src.messages m WHERE m.room = s.room AND m.id > s.hi))"
)
# Deleted rooms whose lines are still in the index.
_GONE: Final = (
    "SELECT w.room FROM watermarks w JOIN src.rooms r ON r.name = w.room"
    " WHERE r.deleted = 1 AND w.purged = 0"
)
_PURGE: Final = (
    "DELETE FROM fts WHERE rowid IN (SELECT rowid FROM docs WHERE room = ?)",
    "DELETE FROM docs WHERE room = ?",
    "UPDATE watermarks SET purged = 1 WHERE room = ?",
)


class Taken(NamedTuple):
    """What one batch took in."""

    rooms: int  #: the rooms it advanced (0: it found nothing new)
    #: Lines are left that the next batch can take in at once: a room had more than a batch
    #: takes of one room, or more rooms had new lines than a batch visits.
    more: bool


def index_batch(conn: sqlite3.Connection) -> Taken:
    """Take in one batch, in one transaction."""
    with immediate(conn):
        top = conn.execute("SELECT coalesce(max(rowid), 0) FROM docs").fetchone()[0]
        for step in _STEPS:
            conn.execute(step, (top,) if "?" in step else ())
        advanced = int(conn.execute("SELECT count(*) FROM temp.span").fetchone()[0])
        more = advanced >= _ROOMS_PER_BATCH or bool(conn.execute(_LEFT).fetchone()[0])
        for (room,) in conn.execute(_GONE).fetchall():
            for statement in _PURGE:
                conn.execute(statement, (room,))
    return Taken(advanced, more)


class Indexer:
    """The thread that keeps the search index in step with the store's database."""

    def __init__(self, path: Path, synchronous: Synchronous) -> None:
        self._path = path
        self._synchronous = synchronous
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="roomcast-search-index", daemon=True)
        # Seconds of this thread's CPU spent indexing, for the benchmarks and metrics.
        self.cpu_seconds = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        _lowest_priority()
        try:
            conn = open_index(self._path, self._synchronous)
        except sqlite3.Error as exc:
            log.error("the search index cannot be opened; search sees new lines only: %s", exc)
            return
        try:
            while not self._stopping.is_set():
                started = time.thread_time()
                try:
                    more = index_batch(conn).more
                except sqlite3.Error as exc:
                    log.warning("search indexing failed, will retry: %s", exc)
                    more = False
                self.cpu_seconds += time.thread_time() - started
                self._stopping.wait(_PAUSE_BEHIND if more else _PAUSE)
        finally:
            conn.close()


def _lowest_priority() -> None:
    """Schedule this thread only when nothing else wants the CPU (Linux, SCHED_IDLE; elsewhere
    at niceness _NICENESS). At niceness 10 alone an indexer behind a backlog took 9.7 % of a
    core that a busy event loop wanted, at SCHED_IDLE 0.3 % (bench/micro/search_index.py
    --share): a saturated server delivers first and indexes when the load eases. One way only:
    without privileges a thread cannot raise its priority again."""
    tid = threading.get_native_id()
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, tid, _NICENESS)
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
