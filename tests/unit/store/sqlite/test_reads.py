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

from roomcast.store.base import NewMessage, StoreUnavailable
from roomcast.store.sqlite import SQLiteStore


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
