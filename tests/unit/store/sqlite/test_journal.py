"""The SQLite journal: multi-row inserts, moves into ``messages``, and the writer's record."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from pathlib import Path

import orjson

from roomcast.store.base import Appended
from roomcast.store.sqlite.connection import open_writer
from roomcast.store.sqlite.journal import (
    JOURNAL_COLUMNS,
    JOURNAL_INSERT,
    Journaled,
    insert_many,
    move_batches,
    move_journal,
)
from roomcast.store.sqlite.rows import OWNER
from roomcast.wire.protocol import ChatMessage


def _rows(room: str, first: int, count: int) -> list[tuple[object, ...]]:
    """Journaled lines as the writer makes them (``JOURNAL_COLUMNS``)."""
    return [
        (room, n, "a", f"m{n}", "w", n, None, None, "g:s", None, 1 if n > 1 else None, None)
        for n in range(first, first + count)
    ]


def test_insert_many_inserts_every_row_in_power_of_two_chunks() -> None:
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE t (a, b)")
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        insert_many(conn, "INSERT INTO t VALUES", [(n, n) for n in range(300)])
        assert conn.execute("SELECT count(*), sum(a) FROM t").fetchone() == (300, sum(range(300)))
        inserts = [s for s in statements if s.startswith("INSERT")]
        assert [s.count("(") for s in inserts] == [256, 32, 8, 4]
        insert_many(conn, "INSERT INTO t VALUES", [])
        assert len([s for s in statements if s.startswith("INSERT")]) == 4


def test_a_database_from_before_the_journal_has_nothing_to_move() -> None:
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        assert move_journal(conn) == 0


def test_moves_take_only_what_is_still_journaled(tmp_path: Path) -> None:
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        first, second = _rows("lobby", 1, 3), _rows("other", 1, 2)
        seqs = [
            conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid
            for rows in (first, second)
        ]
        batches = {seq: rows for seq, rows in zip(seqs, (first, second), strict=True) if seq}
        conn.execute("DELETE FROM message_journal WHERE seq = ?", (seqs[1],))  # moved elsewhere
        assert move_batches(conn, batches) == 3
        assert conn.execute("SELECT count(*) FROM message_journal").fetchone() == (0,)
        conn.execute(JOURNAL_INSERT, (orjson.dumps(first),))
        assert move_journal(conn) == 3, "rows already in messages are counted, left as they are"
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (3,)
    finally:
        conn.close()


def test_the_record_answers_reads_and_forgets_what_others_moved(tmp_path: Path) -> None:
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        record = Journaled()
        assert record.due_in(1.0) is None
        plain = ("lobby", 3, "b", "m3", "w", 3, "s-b", None)
        files = '[["f","f.txt",1,"text/plain",null,null]]'
        mentioning = ("lobby", 4, "c", "@a", "w", 4, "s-c", None, None, None, None, '["a"]', files)
        bare = ("lobby", 5, "d", "m5", "w", 5, "s-d")
        for rows in (_rows("lobby", 1, 2), _rows("other", 1, 1), [plain, mentioning, bare]):
            seq = conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid
            assert seq is not None
            record.add(seq, rows, {})
        assert record.count == 6
        assert 0 < (record.due_in(1.0) or 0) <= 1.0
        assert record.in_room("lobby") == [
            ("lobby", 1, "a", "m1", "w", 1, None, None, None, None, None),
            ("lobby", 2, "a", "m2", "w", 2, None, 1, None, None, None),
            ("lobby", 3, "b", "m3", "w", 3, None, None, None, None, None),
            ("lobby", 4, "c", "@a", "w", 4, None, None, None, '["a"]', files),
            ("lobby", 5, "d", "m5", "w", 5, None, None, None, None, None),
        ], "as rows.LINE columns"
        assert record.owners_in({"lobby"}) == [
            ("lobby", 1, "g:s"),
            ("lobby", 2, "g:s"),
            ("lobby", 3, "g:s-b"),
            ("lobby", 4, "g:s-c"),
            ("lobby", 5, "g:s-d"),
        ], "as rows.OWNER"
        assert move_journal(conn) == 6  # what another connection's move does
        record.forget_moved(conn)
        assert (record.count, record.batches) == (0, {})
        record.move(conn, record.forget_moved)
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (6,)
    finally:
        conn.close()


def test_plain_journal_rows_move_beside_full_ones(tmp_path: Path) -> None:
    """Rows of 7 columns (a guest's plain line without a ref) and of 8 (with one; every line
    of the release before conversations, which a crash may leave journaled) move owned by their
    sender's session, in one move with the wider rows; rows of 11 (the release before people,
    without mentions) beside those of 12."""
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        old = [["lobby", 1, "a", "m1", "w", 1, "s-1", "s:r1"], ["lobby", 2, "b", "m2", "w", 2]]
        old[1] += [None, None]
        before_people = [["lobby", 4, "c", "m4", "w", 4, None, None, "a:c", 1, None]]
        bare = [["lobby", 5, "d", "m5", "w", 5, "s-5"]]
        for rows in (old, _rows("lobby", 3, 1), before_people, bare):
            conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),))
        assert move_journal(conn) == 5
        moved = conn.execute(
            f"SELECT id, sender, ref, {OWNER}, reply_to, thread, kind, deleted, mentions"
            " FROM messages"
        ).fetchall()
        assert moved == [
            (1, "s-1", "s:r1", "g:s-1", None, None, None, 0, None),
            (2, None, None, None, None, None, None, 0, None),
            (3, None, None, "g:s", None, 1, None, 0, None),
            (4, None, None, "a:c", 1, None, None, 0, None),
            (5, "s-5", None, "g:s-5", None, None, None, 0, None),
        ]
    finally:
        conn.close()


def test_wide_rows_move_whatever_columns_they_leave_empty(tmp_path: Path) -> None:
    """Rows of 13 columns move without their None columns, grouped by the columns they set,
    each row's values into its own columns, the rooms' rows interleaved as commits make them."""
    files = '[["f","f.txt",1,"text/plain",null,null]]'
    rows = [
        ("lobby", 1, "a", "m1", "w", 1, "s-a", None, "a:1", None, None, None, None),
        ("other", 1, "b", "m2", "w", 2, "s-b", "s:r", "a:2", None, None, None, None),
        ("lobby", 2, "a", "m3", "w", 3, "s-a", None, "a:1", 1, 1, '["b"]', None),
        ("lobby", 3, "c", "m4", "w", 4, None, None, None, None, None, None, files),
        ("other", 2, "b", "m5", "w", 5, "s-b", None, "a:2", None, None, None, None),
    ]
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        seq = conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid
        assert seq is not None
        assert move_batches(conn, {seq: rows}) == 5
        moved = conn.execute(f"SELECT {JOURNAL_COLUMNS} FROM messages ORDER BY room, id").fetchall()
        assert moved == sorted(rows)
    finally:
        conn.close()


def _journal(conn: sqlite3.Connection, record: Journaled, rows: list[tuple[object, ...]]) -> int:
    seq = conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid
    assert seq is not None
    record.add(seq, rows, {("s", f"r{seq}"): Appended(_line(rows[0]), True)})
    return seq


def _line(row: tuple[object, ...]) -> ChatMessage:
    room, message_id, author, text, wsid, sent = row[:6]
    assert isinstance(room, str)
    assert isinstance(message_id, int)
    assert isinstance(sent, int)
    return ChatMessage(room, message_id, str(author), str(text), str(wsid), sent)


def _no_other_writer(conn: sqlite3.Connection) -> None:
    """A move's catch-up where no other connection wrote."""


def _stored(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return conn.execute("SELECT room, id FROM messages ORDER BY room, id").fetchall()


def test_a_move_in_slices_leaves_every_line_in_one_place_at_each_step(tmp_path: Path) -> None:
    """Each slice moves its messages, by room and ID, in a transaction of its own; until the
    last, the journal rows stay and the record answers for what has not moved, lines committed
    meanwhile included; the last slice deletes the move's journal rows and no other."""
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        record = Journaled()
        taken = [_journal(conn, record, _rows(room, 1, 3)) for room in ("b", "a")]
        record.start_move()
        assert record.moving
        assert record.batches == {}
        later = _journal(conn, record, _rows("a", 4, 2))  # committed while the move goes on
        everything = {(room, n) for room in ("a", "b") for n in range(1, 4)} | {("a", 4), ("a", 5)}
        moved_so_far = [[("a", 1), ("a", 2)], [("a", 1), ("a", 2), ("a", 3), ("b", 1)]]
        for moved in moved_so_far:
            record.move_slice(conn, 2, _no_other_writer)
            assert _stored(conn) == moved, "the rooms in order, each room's lines by ID"
            journaled = {(row[0], row[1]) for row in record.in_room(None)}
            assert journaled | set(moved) == everything
            assert not journaled & set(moved)
            assert record.count == len(journaled)
            assert conn.execute("SELECT count(*) FROM message_journal").fetchone() == (3,)
            assert record.ref(("s", f"r{taken[0]}")) is not None, "a re-send is still known"
            assert record.ref(("s", f"r{later}")) is not None
        record.move_slice(conn, 2, _no_other_writer)  # the last two, and the move's journal rows
        assert not record.moving
        assert conn.execute("SELECT seq FROM message_journal").fetchall() == [(later,)]
        assert record.ref(("s", f"r{taken[0]}")) is None, "moved: found in messages from now on"
        assert record.ref(("s", f"r{later}")) is not None
        assert record.in_room("a") == [
            ("a", n, "a", f"m{n}", "w", n, None, 1, None, None, None) for n in (4, 5)
        ]
        record.move(conn, _no_other_writer)
        assert len(_stored(conn)) == len(everything)
        assert (record.count, record.moving) == (0, False)
        assert conn.execute("SELECT count(*) FROM message_journal").fetchone() == (0,)
    finally:
        conn.close()


def test_a_move_in_slices_leaves_out_what_another_connection_moved_and_deleted(
    tmp_path: Path,
) -> None:
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        record = Journaled()
        _journal(conn, record, _rows("a", 1, 4))
        _journal(conn, record, _rows("b", 1, 2))
        record.start_move()
        record.move_slice(conn, 1, _no_other_writer)
        assert move_journal(conn) == 6  # an admin command opening the database meanwhile
        conn.execute("DELETE FROM messages WHERE room = 'a' AND id = 3")  # ... and deleting
        record.forget_moved(conn)  # what the writer does once it sees another connection wrote
        assert (record.count, record.in_room(None)) == (0, [])
        record.move_slice(conn, 10, record.forget_moved)
        assert not record.moving
        assert ("a", 3) not in _stored(conn)
        assert len(_stored(conn)) == 5
    finally:
        conn.close()


def test_each_room_s_lines_agree_with_the_whole_record_through_commits_moves_and_others(
    tmp_path: Path,
) -> None:
    """The record's lines of one room (looked up by room) are, at every step, exactly that
    room's lines among all it holds, in the same order: through commits over several rooms,
    moves in slices of every size, commits during a move, and journal rows that another
    connection moved (all of them, or only some while the writer's move is under way)."""
    rng = random.Random(20)
    conn = open_writer(tmp_path / "chat.db", "NORMAL")
    try:
        record = Journaled()
        next_id = dict.fromkeys("abcd", 1)
        for _ in range(300):
            step = rng.random()
            if step < 0.5:
                rows = []
                for _ in range(rng.randint(1, 6)):
                    room = rng.choice("abcd")
                    rows += _rows(room, next_id[room], 1)
                    next_id[room] += 1
                _journal(conn, record, rows)
            elif step < 0.6:
                record.start_move()
            elif step < 0.9:
                record.move_slice(conn, rng.randint(1, 5), _no_other_writer)
            else:  # another connection moves the oldest journal row, or every one
                oldest = conn.execute("SELECT min(seq) FROM message_journal").fetchone()[0]
                if oldest is not None and rng.random() < 0.5:
                    move_batches(conn, {oldest: record.batches.get(oldest, [])})
                    conn.execute("DELETE FROM message_journal WHERE seq = ?", (oldest,))
                else:
                    move_journal(conn)
                record.forget_moved(conn)
            every = record.in_room(None)
            assert len(every) == record.count
            for room in "abcde":
                assert record.in_room(room) == [row for row in every if row[0] == room]
            owners = record.owners_in({"a", "c", "e"})
            assert sorted(owners) == sorted(
                (row[0], row[1], "g:s") for row in every if row[0] in {"a", "c"}
            )
        record.move(conn, record.forget_moved)
        assert (record.count, record.in_room("a"), record.owners_in({"a", "b"})) == (0, [], [])
    finally:
        conn.close()
