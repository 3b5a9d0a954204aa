"""The SQLite store's message journal: commits append there, and nothing journaled is lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson
import pytest

from roomcast.ops.admin import _copy
from roomcast.store.base import (
    DELETE,
    EDIT,
    Appended,
    Change,
    NewMessage,
    StoreUnavailable,
    owner_key,
    queued_size,
)
from roomcast.store.sqlite import SQLiteStore, writer
from roomcast.store.sqlite.journal import CatchUp, Journaled
from roomcast.wire.protocol import ChatMessage, DeletedEvent


@contextlib.asynccontextmanager
async def _opened(path: Path) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def _counts(path: Path) -> tuple[int, int]:
    """Messages in the ``messages`` table, and rows in the journal table."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        journal = conn.execute("SELECT count(*) FROM message_journal").fetchone()[0]
    return int(messages), int(journal)


async def test_a_commit_journals_and_a_read_sees_every_earlier_message(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        first = await store.append(NewMessage("lobby", "alice", "one", "w1", 1))
        assert first.message.id == 1
        assert _counts(path) == (0, 1), "a commit appends one journal row, not message rows"
        outcomes: list[Appended | StoreUnavailable] = []
        store.submit(NewMessage("lobby", "alice", "two", "w1", 2), outcomes.append)
        # Not awaited: a read still waits for the message submitted before it.
        page = await store.page("lobby", None, 10)
        assert [m.text for m in page] == ["one", "two"]
        assert [type(o) for o in outcomes] == [Appended]
        assert _counts(path) == (0, 2), "the read found them in the journal"
        assert [m.id for m in await store.after("lobby", 1, 10)] == [2]
        await store._writer.settled()
        assert _counts(path) == (2, 0)
        assert [m.text for m in await store.page("lobby", None, 10)] == ["one", "two"]


async def test_journaled_messages_left_by_a_crash_are_moved_when_the_store_opens(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        await store.append(NewMessage("lobby", "alice", "moved", "w1", 1))
    # What a writer killed between its commit and the move leaves behind: journal rows, in the
    # writer's own format, and the rooms' last IDs already counting them.
    rows = [
        ["lobby", 2, "bob", "journaled", "w2", 2, "s-2"],
        ["lobby", 3, "carol", "also", "w3", 3, "acct-1", "s:r1"],
    ]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("INSERT INTO message_journal (batch) VALUES (?)", (orjson.dumps(rows),))
        conn.execute("UPDATE rooms SET last_id = 3 WHERE name = 'lobby'")
        conn.commit()
    async with _opened(path) as store:
        assert _counts(path) == (3, 0)
        page = await store.page("lobby", None, 10)
        assert [(m.id, m.text) for m in page] == [(1, "moved"), (2, "journaled"), (3, "also")]
        # The ref of a recovered message is known, and IDs go on after the recovered ones.
        again = await store.append(
            NewMessage("lobby", "carol", "also", "w3", 4, sender="acct-1", ref="r1")
        )
        assert again.duplicate
        assert again.message.id == 3
        nxt = await store.append(NewMessage("lobby", "dave", "next", "w4", 5))
        assert nxt.message.id == 4


async def test_a_plain_line_is_journaled_without_the_columns_it_leaves_empty(
    tmp_path: Path,
) -> None:
    """A guest's plain line without a ref is journaled 7 wide (no None to bind in the move),
    with a ref 8 wide, any other line 13 wide; all read back and move alike."""
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        lines = [
            NewMessage("lobby", "a", "bare", "w1", 1, "s1", None, "g:s1"),
            NewMessage("lobby", "a", "with ref", "w1", 2, "s1", "r1", "g:s1"),
            NewMessage("lobby", "b", "owned", "w2", 3, "s2", None, "a:acct"),
            NewMessage("lobby", "a", "reply", "w1", 4, "s1", None, "g:s1", 1),
        ]
        for line in lines:
            await store.append(line)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            journaled = [
                row for (b,) in conn.execute("SELECT batch FROM message_journal")
                for row in orjson.loads(b)
            ]  # fmt: skip
        assert [len(row) for row in journaled] == [7, 8, 13, 13]
        page = [(m.id, m.text, m.reply_to) for m in await store.page("lobby", None, 10)]
        expected = [(1, "bare", None), (2, "with ref", None), (3, "owned", None), (4, "reply", 1)]
        assert page == expected
        await store._writer.settled()
        assert _counts(path) == (4, 0)
        assert [(m.id, m.text, m.reply_to) for m in await store.page("lobby", None, 10)] == expected
        with contextlib.closing(sqlite3.connect(path)) as conn:
            stored = conn.execute("SELECT sender, ref, owner FROM messages ORDER BY id").fetchall()
        guest, owned = ("s1", None, None), ("s2", None, "a:acct")
        assert stored == [guest, ("s1", "s:r1", None), owned, guest]
        again = await store.append(lines[1])
        assert (again.duplicate, again.message.id) == (True, 2)


async def test_a_resend_of_a_journaled_message_is_recognised(tmp_path: Path) -> None:
    async with _opened(tmp_path / "chat.db") as store:
        first = await store.append(NewMessage("lobby", "a", "hi", "w1", 1, sender="s", ref="r"))
        again = await store.append(NewMessage("lobby", "a", "hi", "w1", 2, sender="s", ref="r"))
        assert not first.duplicate
        assert again.duplicate
        assert again.message == first.message


async def test_a_backup_taken_while_messages_are_journaled_holds_them(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        for n in range(5):
            await store.append(NewMessage(f"room-{n % 2}", "alice", f"line {n}", "w1", n))
        assert _counts(path) == (0, 5)
        rooms, messages = _copy(path, tmp_path / "copy.db")
        assert (rooms, messages) == (2, 5)
        assert _counts(tmp_path / "copy.db") == (5, 0)


def _deletion(room: str, target: int, by: str) -> Change:
    return Change(room, target, DELETE, f"a:{by}", by, "", "w9", 9, moderator=True)


async def test_deleting_a_message_just_sent_deletes_it_for_good(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        sent = store.append(NewMessage("lobby", "alice", "oops", "w1", 1))
        # Not awaited: the deletion waits for it, and takes the next ID.
        deleted = await store.change(_deletion("lobby", 1, "mod"))
        assert (await sent).message.id == 1
        assert deleted.event == DeletedEvent("lobby", 2, 1, "mod", 9)
    async with _opened(path) as store:
        assert await store.page("lobby", None, 10) == []
        assert await store.after("lobby", 0, 10) == [
            ChatMessage("lobby", 1, "alice", "", "w1", 1, deleted=True),
            DeletedEvent("lobby", 2, 1, "mod", 9),
        ]
        assert (await store.append(NewMessage("lobby", "bob", "next", "w2", 3))).message.id == 3


async def test_a_message_another_connection_moved_and_deleted_stays_deleted(
    tmp_path: Path,
) -> None:
    """Another store opening the database while the server runs moves the server's journal; a
    line it then deletes must not come back when the server moves its own copy, and the
    server's next line must not take the ID of that deletion."""
    path = tmp_path / "chat.db"
    async with _opened(path) as server:
        kept = await server.append(NewMessage("lobby", "alice", "kept", "w1", 1))
        gone = await server.append(NewMessage("lobby", "alice", "gone", "w1", 2))
        async with _opened(path) as admin:
            assert _counts(path) == (2, 0)
            deleted = await admin.change(_deletion("lobby", gone.message.id, "admin"))
        assert deleted.event is not None
        later = await server.append(NewMessage("lobby", "bob", "later", "w2", 3))
        assert later.message.id == deleted.event.id + 1
        page = await server.page("lobby", None, 10)
        assert [m.id for m in page] == [kept.message.id, later.message.id]
        await server.close()
        assert _counts(path) == (4, 0), "the two lines, the deletion and the later line"


async def test_a_change_keeps_the_writers_last_ids_right(tmp_path: Path) -> None:
    """Lines after a change continue after its ID, in its room, while other rooms' lines go on."""
    async with _opened(tmp_path / "chat.db") as store:
        for room in ("a", "b"):
            await store.append(NewMessage(room, "alice", "one", "w1", 1))
        await store.change(_deletion("a", 1, "mod"))
        sent = [store.append(NewMessage(room, "alice", "two", "w1", 2)) for room in ("a", "b")]
        assert [(await s).message.id for s in sent] == [3, 2]
        assert [await store.last_id(room) for room in ("a", "b")] == [3, 2]


async def test_reads_join_moved_and_journaled_messages(tmp_path: Path) -> None:
    async with _opened(tmp_path / "chat.db") as store:
        for n in range(1, 21):
            await store.append(NewMessage("lobby", "a", f"m{n}", "w1", n))
        await store._writer.settled()
        for n in range(21, 31):
            await store.append(NewMessage("lobby", "a", f"m{n}", "w1", n))
            await store.append(NewMessage("other", "b", f"o{n}", "w2", n))
        assert _counts(tmp_path / "chat.db") == (20, 20)

        async def page(before: int | None, limit: int) -> list[int]:
            return [m.id for m in await store.page("lobby", before, limit)]

        async def after(after_id: int, limit: int) -> list[int]:
            return [m.id for m in await store.after("lobby", after_id, limit)]

        assert await page(None, 10) == list(range(21, 31))
        assert await page(25, 10) == list(range(15, 25))
        assert await page(None, 50) == list(range(1, 31))
        assert await page(5, 10) == [1, 2, 3, 4]
        assert await after(15, 10) == list(range(16, 26))
        assert await after(25, 10) == list(range(26, 31))
        assert await after(0, 3) == [1, 2, 3]
        assert await after(30, 10) == []
        assert [m.text for m in await store.page("other", None, 2)] == ["o29", "o30"]


async def test_a_guests_line_stores_no_owner_and_an_accounts_does(tmp_path: Path) -> None:
    """A guest's line is owned by the session that sent it, which its sender names already."""
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        for account, sender in ((None, "s1"), ("acct", "s2")):
            owner = owner_key(account, sender)
            await store.append(NewMessage("lobby", "a", "x", "w1", 1, sender, None, owner))
        await store._writer.settled()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            owners = conn.execute("SELECT owner FROM messages ORDER BY id").fetchall()
        assert owners == [(None,), ("a:acct",)]
        for target, account, sender in ((1, None, "s1"), (2, "acct", "s2")):
            edit = Change("lobby", target, EDIT, owner_key(account, sender), "a", "y", "w1", 2)
            assert (await store.change(edit)).event is not None


async def test_a_failing_database_is_logged_once_lost_and_once_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="roomcast.store.sqlite.writer")
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        await store.append(NewMessage("lobby", "alice", "one", "w1", 1))
        await store._writer.settled()
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("ALTER TABLE message_journal RENAME TO journal_away")
        for i in range(3):
            with pytest.raises(StoreUnavailable, match="no such table"):
                await store.append(NewMessage("lobby", "alice", f"lost {i}", "w1", 2 + i))
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("ALTER TABLE journal_away RENAME TO message_journal")
        await store.append(NewMessage("lobby", "alice", "two", "w1", 5))
    logged = [r.getMessage() for r in caplog.records if r.name == "roomcast.store.sqlite.writer"]
    assert len(logged) == 2, logged
    assert logged[0] == "SQLite lost: no such table: message_journal"
    assert re.fullmatch(r"SQLite reachable again after [0-9.]+ s, 3 lines refused", logged[1])


async def test_the_queue_refuses_lines_beyond_its_bytes(tmp_path: Path) -> None:
    line = NewMessage("a", "al", "x" * 1000, "w", 1)
    store = SQLiteStore(tmp_path / "db.sqlite", max_pending_bytes=3 * queued_size(line))
    await store.open()
    try:
        pending = [store.append(line) for _ in range(5)]  # one loop iteration: all queued
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert isinstance(await store.append(line), Appended), "room again once committed"
    finally:
        await store.close()
    assert [isinstance(r, Appended) for r in results] == [True, True, True, False, False]
    assert all("overloaded" in str(r) for r in results[3:])


async def test_writes_of_one_loop_iteration_share_a_transaction_but_not_their_errors(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        writer = store._writer

        def name(key: str) -> Callable[[sqlite3.Connection], str]:
            def insert(conn: sqlite3.Connection) -> str:
                conn.execute("INSERT INTO room_names (key, name) VALUES (?, ?)", (key, key))
                if key == "bad":
                    raise ValueError("refused")
                return key

            return insert

        outcomes = await asyncio.gather(
            *(writer.run(name(key)) for key in ("one", "bad", "two")), return_exceptions=True
        )
        assert outcomes[0] == "one"
        assert outcomes[2] == "two"
        assert isinstance(outcomes[1], ValueError)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            keys = {row[0] for row in conn.execute("SELECT key FROM room_names")}
        assert {"one", "two"} <= keys
        assert "bad" not in keys


async def test_lines_commit_between_the_slices_of_a_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A move does not hold the commits of new lines until it ends: a line sent while one is
    under way is acked before it ends, and reads see every line at each step."""
    monkeypatch.setattr(writer, "MOVE_ROWS", 40)
    monkeypatch.setattr(writer, "MOVE_SLICE", 2)
    slice_once = Journaled.move_slice

    def slow_slice(
        record: Journaled, conn: sqlite3.Connection, size: int, catch_up: CatchUp
    ) -> None:
        time.sleep(0.02)
        slice_once(record, conn, size, catch_up)

    monkeypatch.setattr(Journaled, "move_slice", slow_slice)
    path = tmp_path / "chat.db"
    async with _opened(path) as store:
        sent = [store.append(NewMessage(f"room-{n % 3}", "a", f"m{n}", "w1", n)) for n in range(40)]
        await asyncio.gather(*sent)  # one commit, and a move of 20 slices starts
        for n in range(40, 43):
            line = await store.append(NewMessage("room-0", "b", f"m{n}", "w2", n))
            assert store._writer._journaled.moving, f"line {n} waited for the whole move"
            page = await store.page("room-0", None, 100)
            assert [m.text for m in page][-1] == line.message.text
            assert len(page) == 14 + n - 39
        await store._writer.settled()
        assert _counts(path) == (43, 0)
