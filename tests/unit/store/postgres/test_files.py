"""The PostgreSQL files: an upload borrows a pooled connection per chunk and gives it back
before the next one arrives, so a slow upload never keeps one from the writer of chat lines."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from roomcast.store.postgres import PostgresStore
from roomcast.store.postgres.files import Files
from roomcast.store.uploads import CHUNK_BYTES, Upload

NOW = 1_800_000_000_000


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    opened = PostgresStore(postgres_url)
    await opened.open()
    yield opened
    await opened.close()


async def test_no_connection_is_held_between_chunks(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = store._files
    assert isinstance(files, Files)
    held, borrowed = [0], [0]
    connection = store._pool.connection

    @asynccontextmanager
    async def counted() -> AsyncIterator[Any]:
        held[0] += 1
        borrowed[0] += 1
        async with connection() as conn:
            yield conn
        held[0] -= 1

    monkeypatch.setattr(store._pool, "connection", counted)
    data = b"c" * (3 * CHUNK_BYTES)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), CHUNK_BYTES):
            assert held[0] == 0, "a connection was kept while the next chunk was awaited"
            yield data[start : start + CHUNK_BYTES]

    upload = Upload(
        "p", "r", "a:x", "p.bin", "application/octet-stream", len(data),
        hashlib.sha256(data).hexdigest(), NOW,
    )  # fmt: skip
    await files.add_upload(upload, chunks(), None, 10 * len(data))
    assert borrowed[0] == 5  # the row, three chunks, complete
    assert await files.upload("p") == upload
