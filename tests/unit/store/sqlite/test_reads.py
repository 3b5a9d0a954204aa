"""The SQLite store's reads: short ones on the event loop's thread, the reader thread otherwise."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from roomcast.store.base import REACT, UNREACT, Change, NewMessage, StoreUnavailable
from roomcast.store.sqlite import SQLiteStore
from roomcast.wire.protocol import ReactionSummary


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "chat.db")
    await opened.open()
    await opened.append(NewMessage("lobby", "alice", "one", "w1", 1))
    yield opened
    await opened.close()


class _FailingConnection:
    """Stands in for the loop thread's connection: every query fails with ``error``."""

    def __init__(self, error: sqlite3.OperationalError) -> None:
        self.error = error
        self.queries = 0

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.queries += 1
        raise self.error

    def close(self) -> None:
        pass


def _error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


async def test_short_reads_do_not_wait_behind_the_reader_thread(store: SQLiteStore) -> None:
    busy = threading.Event()
    release = threading.Event()

    def occupy() -> None:
        busy.set()
        release.wait(10)

    blocked = asyncio.get_running_loop().run_in_executor(store._reads._reader, occupy)
    await asyncio.to_thread(busy.wait, 5)
    try:
        started = time.monotonic()
        assert await store.last_id("lobby") == 1
        assert [m.text for m in await store.page("lobby", None, 50)] == ["one"]
        assert (await store.room_access("lobby")).name == "lobby"
        assert time.monotonic() - started < 5, "the reads queued behind the busy reader thread"
    finally:
        release.set()
        await blocked


def _occupy_the_writer(store: SQLiteStore) -> tuple[threading.Event, asyncio.Task[None]]:
    """A write that holds the writer thread until the event is set; the task awaiting it."""
    release = threading.Event()
    task = asyncio.ensure_future(store._writer.run(lambda conn: release.wait(10)))
    return release, task


async def test_a_read_with_nothing_in_flight_or_journaled_does_not_wait_for_the_writer(
    store: SQLiteStore,
) -> None:
    await store._writer.settled()  # line 1 moved out of the journal
    release, busy = _occupy_the_writer(store)
    try:
        await asyncio.sleep(0.05)  # the writer thread is in the write
        page = await asyncio.wait_for(store.page("lobby", None, 50), 2)
        resumed = await asyncio.wait_for(store.after("lobby", 0, 10), 2)
        assert [m.text for m in page] == [m.text for m in resumed] == ["one"]
        assert not busy.done()
    finally:
        release.set()
        await busy


async def test_a_recorded_room_spelling_is_read_without_the_writer(store: SQLiteStore) -> None:
    names = store._rooms  # the SQLite part, without the facade's cache of spellings
    assert await names.room_name("Den", claim=False) == "Den"  # none recorded: as asked
    assert await names.room_name("Den", claim=True) == "Den"  # recorded by the writer
    release, busy = _occupy_the_writer(store)
    try:
        await asyncio.sleep(0.05)
        assert await asyncio.wait_for(names.room_name("DEN", claim=True), 2) == "Den"
        assert await asyncio.wait_for(names.room_name("den", claim=False), 2) == "Den"
        new = asyncio.ensure_future(names.room_name("Attic", claim=True))
        await asyncio.sleep(0.2)
        assert not new.done(), "a room without a spelling is recorded by the writer"
    finally:
        release.set()
        await busy
    assert await new == "Attic"
    assert await names.room_name("ATTIC", claim=False) == "Attic"


async def test_a_read_waits_for_the_lines_submitted_before_it(store: SQLiteStore) -> None:
    await store._writer.settled()
    release, busy = _occupy_the_writer(store)
    try:
        await asyncio.sleep(0.05)
        sent = asyncio.ensure_future(store.append(NewMessage("lobby", "bob", "two", "w2", 2)))
        read = asyncio.ensure_future(store.page("lobby", None, 50))
        await asyncio.sleep(0.2)
        assert not read.done(), "the read did not wait for the line submitted before it"
    finally:
        release.set()
        await busy
    await sent
    assert [m.text for m in await read] == ["one", "two"]
    # Committed, its outcome back, still journaled: read from the writer's record.
    assert store._writer._journaled.count == 1
    assert [m.text for m in await store.page("lobby", None, 50)] == ["one", "two"]


async def test_a_locked_database_sends_the_read_to_the_reader_thread(store: SQLiteStore) -> None:
    locked = _FailingConnection(_error("database is locked", sqlite3.SQLITE_BUSY))
    store._reads._inline_conn = locked  # type: ignore[assignment]
    assert await store.last_id("lobby") == 1
    assert [m.id for m in await store.after("lobby", 0, 10)] == [1]
    assert locked.queries == 2


async def test_other_read_errors_are_store_unavailable(store: SQLiteStore) -> None:
    store._reads._inline_conn = _FailingConnection(  # type: ignore[assignment]
        _error("disk I/O error", sqlite3.SQLITE_IOERR)
    )
    with pytest.raises(StoreUnavailable, match="disk I/O error"):
        await store.last_id("lobby")


async def test_long_pages_and_whole_tables_are_read_on_the_reader_thread(
    store: SQLiteStore,
) -> None:
    never = _FailingConnection(_error("must not be used", sqlite3.SQLITE_IOERR))
    store._reads._inline_conn = never  # type: ignore[assignment]
    assert [m.text for m in await store.after("lobby", 0, 10_000)] == ["one"]
    assert [room.name for room in await store.rooms()] == ["lobby"]
    assert never.queries == 0


async def test_a_page_in_current_state_takes_three_queries_and_counts_journaled_replies(
    store: SQLiteStore,
) -> None:
    owner = "g:s1"
    await store.append(NewMessage("lobby", "a", "m2", "w1", 2, owner=owner))
    for n in range(3, 41):  # lines 3..40, in the threads of line 1 (even) and line 2 (odd)
        thread = n % 2 + 1
        await store.append(NewMessage("lobby", "a", f"m{n}", "w1", n, owner=owner, thread=thread))
    for target in range(1, 41, 3):
        await store.change(Change("lobby", target, REACT, owner, "a", "👍", "w1", 50))
    await store.change(Change("lobby", 2, REACT, "g:s2", "b", "🎉", "w1", 51))
    # Replies still in the journal count too (the change above moved everything before it).
    for n in (1, 1, 2):
        await store.append(NewMessage("lobby", "a", "later", "w1", 60, owner=owner, thread=n))
    statements: list[str] = []
    store._reads._inline().set_trace_callback(statements.append)
    page = await store.page("lobby", None, 100)
    assert len(statements) == 3
    assert len(page) == 43
    first, second = page[:2]
    assert (first.replies, second.replies) == (21, 20)
    assert first.reactions == (ReactionSummary("👍", ("a",)),)
    assert second.reactions == (ReactionSummary("🎉", ("b",)),)
    assert page[3].reactions == (ReactionSummary("👍", ("a",)),)
    assert all(m.replies == 0 for m in page[2:])


async def test_an_emoji_keeps_its_place_when_its_first_reactor_takes_it_back(
    store: SQLiteStore,
) -> None:
    """Emoji come in the order they came onto the message (as in the memory store), not in the
    order of their oldest reaction still there."""
    for owner, emoji in (("g:a", "👍"), ("g:b", "🎉"), ("g:c", "👍")):
        await store.change(Change("lobby", 1, REACT, owner, owner[2:], emoji, "w1", 5))
    await store.change(Change("lobby", 1, UNREACT, "g:a", "a", "👍", "w1", 6))
    (line,) = await store.page("lobby", None, 1)
    assert line.reactions == (ReactionSummary("👍", ("c",)), ReactionSummary("🎉", ("b",)))
    await store.change(Change("lobby", 1, UNREACT, "g:c", "c", "👍", "w1", 7))
    await store.change(Change("lobby", 1, REACT, "g:a", "a", "👍", "w1", 8))
    (line,) = await store.page("lobby", None, 1)
    assert line.reactions == (ReactionSummary("🎉", ("b",)), ReactionSummary("👍", ("a",)))
