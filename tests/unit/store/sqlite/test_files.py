"""The SQLite files live in a database of their own (``<db>-files``): while the files database is
locked for writing (an upload's chunk being committed, or worse), chat lines still commit."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roomcast.store.base import NewMessage
from roomcast.store.sqlite import SQLiteStore
from roomcast.store.sqlite.files import files_path
from roomcast.store.uploads import Upload

NOW = 1_800_000_000_000


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "chat.db")
    await opened.open()
    yield opened
    await opened.close()


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_lines_commit_while_the_files_database_is_locked(
    store: SQLiteStore, tmp_path: Path
) -> None:
    assert files_path(tmp_path / "chat.db") == tmp_path / "chat.db-files"
    with contextlib.closing(sqlite3.connect(tmp_path / "chat.db-files", timeout=0)) as lock:
        lock.execute("BEGIN EXCLUSIVE")  # as long as any chunk's commit could take
        upload = Upload("u", "r", "g:s", "f", "text/plain", 1, "d", NOW)
        adding = asyncio.create_task(store.add_upload(upload, _one(b"x"), None, 100))
        started = time.monotonic()
        for n in range(20):
            await store.append(NewMessage("r", "a", f"line {n}", "w", NOW))
        assert time.monotonic() - started < 1.0, "lines waited for the files database"
        assert not adding.done()
        lock.execute("ROLLBACK")
    await adding
    assert await store.upload("u") == upload
    assert len(await store.page("r", None, 50)) == 20
