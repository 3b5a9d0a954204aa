"""The search indexer: a batch costs what it holds however many lines the store has, says
whether it left lines for the next, and the thread runs only on CPU time nothing else wants."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from roomcast.store.sqlite.connection import open_writer
from roomcast.store.sqlite.search_index import (
    _ROOM_BATCH,
    _STEPS,
    Indexer,
    Taken,
    index_batch,
    open_index,
)

# The tables a batch may read from end to end: its own temporary ones (`span` as s, `touched`
# as t). Every other table is searched by key.
_SCANNED_FREELY = {"s", "t", "temp.span"}


def _store(path: Path) -> sqlite3.Connection:
    conn = open_writer(path, "OFF")
    conn.close()
    return sqlite3.connect(path, isolation_level=None)


def _add_lines(conn: sqlite3.Connection, rooms: int, per_room: int, text: str) -> None:
    conn.execute("BEGIN")
    for n in range(rooms):
        room = f"room-{n}"
        row = conn.execute("SELECT last_id FROM rooms WHERE name = ?", (room,)).fetchone()
        last = 0 if row is None else row[0]
        conn.executemany(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms)"
            " VALUES (?, ?, ?, ?, ?, 0)",
            [(room, last + k, "alice", f"{text} {k}", "w") for k in range(1, per_room + 1)],
        )
        conn.execute(
            "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, ?, 0)"
            " ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id",
            (room, last + per_room),
        )
    conn.execute("COMMIT")


def _instructions_of_a_batch(index: sqlite3.Connection) -> int:
    """How many SQLite virtual-machine instructions (in hundreds) one ``index_batch`` ran."""
    counted = 0

    def count() -> int:
        nonlocal counted
        counted += 1
        return 0

    index.set_progress_handler(count, 100)
    try:
        assert index_batch(index).rooms > 0
    finally:
        index.set_progress_handler(None, 0)
    return counted


def test_no_step_reads_a_whole_table_of_the_store_or_of_the_index(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    _store(path).close()
    index = open_index(path, "OFF")
    for step in _STEPS:
        plan = [
            row[3] for row in index.execute("EXPLAIN QUERY PLAN " + step, (0,) * step.count("?"))
        ]
        scanned = {
            match.group(1)
            for detail in plan
            if (match := re.match(r"SCAN (\S+)", detail)) and "VIRTUAL TABLE INDEX" not in detail
        }
        # The rooms are read whole (which have lines after their watermark); nothing else is.
        allowed = _SCANNED_FREELY | ({"r"} if "temp.span (room, lo, hi)" in step else set())
        assert scanned <= allowed, (step, plan)


@pytest.mark.parametrize("older", [0, 20_000])
def test_a_batch_of_new_lines_costs_the_same_beside_many_older_ones(
    tmp_path: Path, older: int
) -> None:
    path = tmp_path / "chat.db"
    store = _store(path)
    index = open_index(path, "OFF")
    _add_lines(store, 10, 100, "first batch")
    assert _instructions_of_a_batch(index) > 0  # the index opens its segments once
    _add_lines(store, 10, 40, "measured alone")
    alone = _instructions_of_a_batch(index)
    if older:
        _add_lines(store, 20, older // 20, "older line")
        while index_batch(index).rooms:
            pass
    _add_lines(store, 10, 40, "measured again")
    again = _instructions_of_a_batch(index)
    assert again < 2 * alone, (alone, again)


def test_a_batch_says_when_it_left_lines_for_the_next(tmp_path: Path) -> None:
    """A room with more new lines than a batch takes of one room is taken in over several
    batches, each saying that more is left (so the indexer does not pause for a second between
    them while those lines are neither indexed nor among the newest a search evaluates)."""
    path = tmp_path / "chat.db"
    store = _store(path)
    index = open_index(path, "OFF")
    _add_lines(store, 1, _ROOM_BATCH + 500, "busy")
    _add_lines(store, 2, 10, "quiet")  # room-0 gets 10 more, room-1 its first 10
    assert index_batch(index) == Taken(2, True)
    assert index_batch(index) == Taken(1, False)
    assert index_batch(index) == Taken(0, False)
    # IDs the writer has given out but not yet moved out of its journal are not left over.
    store.execute("UPDATE rooms SET last_id = last_id + 50")
    assert index_batch(index) == Taken(0, False)
    indexed = dict(index.execute("SELECT room, indexed FROM watermarks").fetchall())
    assert indexed == {"room-0": _ROOM_BATCH + 510, "room-1": 10}


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies")
def test_the_indexer_runs_only_on_cpu_time_nothing_else_wants(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    _store(path).close()
    indexer = Indexer(path, "OFF")
    indexer.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            thread = next(t for t in threading.enumerate() if t.name == "roomcast-search-index")
            assert thread.native_id is not None
            if os.sched_getscheduler(thread.native_id) == os.SCHED_IDLE:
                break
            assert time.monotonic() < deadline, "the indexer kept the normal policy"
            time.sleep(0.01)
        assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the caller's own thread: untouched
    finally:
        indexer.stop()
