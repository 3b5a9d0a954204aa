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
"""

from __future__ import annotations

import sqlite3
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
    insert_many,
    move_batches,
)
from roomcast.store.sqlite.writer import MOVE_ROWS

MESSAGES = 40_000
TEXT = "RCB12|1|1764000000000000000|" + "x" * 36  # as long as the load generator's lines


def cpu_per_message(folder: Path, rooms: int, per_commit: int, journal: bool) -> float:
    conn = open_writer(folder / f"{'j' if journal else 'd'}-r{rooms}-b{per_commit}.db", "NORMAL")
    last: dict[str, int] = {}
    journaled: Batches = {}
    count = 0
    start = time.thread_time()
    for first in range(0, MESSAGES, per_commit):
        rows = []
        for n in range(first, first + per_commit):
            room = f"room-{n % rooms}"
            last[room] = last.get(room, 0) + 1
            # A guest's line without ref, reply or thread, as the writer journals it (the first
            # journal.BARE_WIDTH of JOURNAL_COLUMNS).
            rows.append((room, last[room], "nick-12", TEXT, "w-123456", n, "s-123456"))
        touched = [(room, last[room], 0) for room in {row[0] for row in rows}]
        conn.execute("BEGIN IMMEDIATE")
        if journal:
            journaled[conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid or 0] = rows
            count += len(rows)
        else:
            rows.sort()
            insert_many(conn, BARE_INSERT, rows)
        insert_many(conn, ROOMS_UPSERT, touched, ROOMS_UPSERT_TAIL)
        conn.execute("COMMIT")
        if count >= MOVE_ROWS:
            move_batches(conn, journaled)
            journaled, count = {}, 0
    if journaled:
        move_batches(conn, journaled)
    elapsed = time.thread_time() - start
    _check(conn)
    conn.close()
    return elapsed / MESSAGES * 1e6


def _check(conn: sqlite3.Connection) -> None:
    stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    left = conn.execute("SELECT count(*) FROM message_journal").fetchone()[0]
    assert (stored, left) == (MESSAGES, 0), (stored, left)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print("messages/commit  rooms  direct us/msg  journal us/msg")
    for rooms, per_commit in ((1, 20), (100, 20), (100, 100), (100, 400), (100, 1000)):
        direct = cpu_per_message(folder, rooms, per_commit, journal=False)
        journal = cpu_per_message(folder, rooms, per_commit, journal=True)
        print(f"{per_commit:15d}  {rooms:5d}  {direct:13.2f}  {journal:14.2f}")


if __name__ == "__main__":
    main()
