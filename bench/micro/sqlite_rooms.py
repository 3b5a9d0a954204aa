"""What the SQLite writer spends per message, by messages per commit and rooms they fall in.

The store's ``messages`` table is keyed by (room, id), so every room a commit writes into dirties
at least one B-tree page, and each dirty page is written to the WAL at commit. The store therefore
commits to a journal table (one row per commit) and moves journaled messages into ``messages`` in
batches of thousands. This measures the writer thread's SQLite work per message both ways, on the
store's own write connection, with the same rows (the store's ID and ref bookkeeping, the same
both ways, is left out, and so are checkpoints, which run in a thread of their own):

- ``direct``: each commit inserts its messages straight into ``messages`` in key order and
  updates the rooms' last IDs;
- ``journal``: each commit appends its messages to the journal as one row and updates the rooms'
  last IDs; whenever as many messages have gathered as the store waits for, one transaction moves
  them into ``messages`` (``move_batches``, the store's own).

Run: taskset -c 0 .venv/bin/python bench/micro/sqlite_rooms.py

``sqlite_rooms.py moves`` measures the journal's moves by their size instead: 100 rooms of 600
messages each first, then 40 commits of 1,000 messages over the 100 rooms, each followed by a
checkpoint that copies every WAL frame back (as the store's checkpoints do): WAL frames written
and the writer's CPU per message, checkpoints included and shown apart; then moves of 8,192 cut
into slices of 2,048, 1,024 and 512 messages, each slice a transaction, as the writer makes them
(``Journaled.move_slice``).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import orjson

from roomcast.store.sqlite.connection import open_writer
from roomcast.store.sqlite.journal import (
    BARE_INSERT,
    JOURNAL_INSERT,
    ROOMS_UPSERT,
    ROOMS_UPSERT_TAIL,
    Batches,
    Journaled,
    insert_many,
    move_batches,
)
from roomcast.store.sqlite.writer import MOVE_ROWS

MESSAGES = 40_000
TEXT = "RCB12|1|1764000000000000000|" + "x" * 36  # as long as the load generator's lines


class Rows:
    """Commits of guests' plain lines over ``rooms`` rooms, journaled or straight into
    ``messages``, with the journal moved every ``move_rows`` messages, in one transaction or in
    slices of ``slice_rows``."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        rooms: int,
        journal: bool,
        move_rows: int,
        slice_rows: int | None = None,
    ):
        self.conn = conn
        self.rooms = rooms
        self.journal = journal
        self.move_rows = move_rows
        self.slice_rows = slice_rows
        self.last: dict[str, int] = {}
        self.journaled: Batches = {}
        self.count = 0
        self.sent = 0

    def commit(self, per_commit: int) -> None:
        rows = []
        for n in range(self.sent, self.sent + per_commit):
            room = f"room-{n % self.rooms}"
            self.last[room] = self.last.get(room, 0) + 1
            # A guest's line without ref, reply or thread, as the writer journals it (the first
            # journal.BARE_WIDTH of JOURNAL_COLUMNS).
            rows.append((room, self.last[room], "nick-12", TEXT, "w-123456", n, "s-123456"))
        self.sent += per_commit
        touched = [(room, self.last[room], 0) for room in {row[0] for row in rows}]
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        if self.journal:
            seq = conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid or 0
            self.journaled[seq] = rows  # as the writer's record (Journaled) keeps them
            self.count += len(rows)
        else:
            rows.sort()
            insert_many(conn, BARE_INSERT, rows)
        insert_many(conn, ROOMS_UPSERT, touched, ROOMS_UPSERT_TAIL)
        conn.execute("COMMIT")
        if self.count >= self.move_rows:
            self.move()

    def move(self) -> None:
        if self.journaled and self.slice_rows is None:
            move_batches(self.conn, self.journaled)
        elif self.journaled:
            record = Journaled()
            for seq, rows in self.journaled.items():
                record.add(seq, rows, {})
            record.start_move()
            while record.moving:
                record.move_slice(self.conn, self.slice_rows, _no_other_writer)
        self.journaled, self.count = {}, 0


def _no_other_writer(conn: sqlite3.Connection) -> None:
    """The writer's catch-up in a move (``PRAGMA data_version``), with no other connection."""
    conn.execute("PRAGMA data_version")


def cpu_per_message(folder: Path, rooms: int, per_commit: int, journal: bool) -> float:
    conn = open_writer(folder / f"{'j' if journal else 'd'}-r{rooms}-b{per_commit}.db", "NORMAL")
    rows = Rows(conn, rooms, journal, MOVE_ROWS)
    start = time.thread_time()
    for _ in range(0, MESSAGES, per_commit):
        rows.commit(per_commit)
    rows.move()
    elapsed = time.thread_time() - start
    _check(conn, MESSAGES)
    conn.close()
    return elapsed / MESSAGES * 1e6


def moves(
    folder: Path, move_rows: int, slice_rows: int | None = None
) -> tuple[float, float, float]:
    """WAL frames, CPU and checkpoint CPU per message with moves of ``move_rows``, in slices of
    ``slice_rows``."""
    path = folder / f"moves-{move_rows}-{slice_rows}.db"
    conn = open_writer(path, "NORMAL")
    rows = Rows(conn, 100, True, move_rows, slice_rows)
    while rows.sent < 60_000:
        rows.commit(1000)
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    rows.move()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sent, frames, checkpoints = rows.sent, 0, 0.0
    start = time.thread_time()
    for _ in range(40):
        rows.commit(1000)
        frames += (os.path.getsize(f"{path}-wal") - 32) // (4096 + 24)
        before = time.thread_time()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoints += time.thread_time() - before
    elapsed = time.thread_time() - start  # the journal left over is not moved: not counted
    count = rows.sent - sent - rows.count
    rows.move()
    _check(conn, rows.sent)
    conn.close()
    return frames / count, elapsed / count * 1e6, checkpoints / count * 1e6


def _check(conn: sqlite3.Connection, messages: int) -> None:
    stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    left = conn.execute("SELECT count(*) FROM message_journal").fetchone()[0]
    assert (stored, left) == (messages, 0), (stored, left)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    if sys.argv[1:] == ["moves"]:
        print("move size  slices of  WAL frames/msg  us/msg  of which checkpoint")
        runs = [(n, None) for n in (2048, 4096, 8192, 16384)] + [
            (MOVE_ROWS, n) for n in (2048, 1024, 512)
        ]
        for move_rows, slice_rows in runs:
            frames, cpu, checkpoint = moves(folder, move_rows, slice_rows)
            print(
                f"{move_rows:9d}  {slice_rows or move_rows:9d}  {frames:13.3f}  {cpu:6.2f}"
                f"  {checkpoint:19.2f}"
            )
        return
    print("messages/commit  rooms  direct us/msg  journal us/msg")
    for rooms, per_commit in ((1, 20), (100, 20), (100, 100), (100, 400), (100, 1000)):
        direct = cpu_per_message(folder, rooms, per_commit, journal=False)
        journal = cpu_per_message(folder, rooms, per_commit, journal=True)
        print(f"{per_commit:15d}  {rooms:5d}  {direct:13.2f}  {journal:14.2f}")


if __name__ == "__main__":
    main()
