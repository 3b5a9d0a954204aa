"""The SQLite store's files (``UploadStore``), in a database of their own beside the history.

SQLite lets one connection write at a time. Were the chunks of a 10 MiB upload written to the
history's database, every chunk's commit would hold the write lock that the writer thread commits
chat lines under, and its pages would pass through the WAL that the writer checkpoints after its
commits. So the files live in ``<db>-files`` (schema: ``migrations/sqlite_files``), written by a
thread and connection of their own, one chunk per short transaction, and read by another; the
history's writer never waits for them. An upload's row is written first (the quota checked in
the same transaction) and marked complete after its last chunk: until then it is not found.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from roomcast.store.base import StoreUnavailable
from roomcast.store.columns import UPLOAD
from roomcast.store.sqlite.connection import Synchronous, connect
from roomcast.store.sqlite.schema import migrate
from roomcast.store.uploads import Upload, check_attachable, quota_refusal

_T = TypeVar("_T")


def files_path(path: Path) -> Path:
    """The files database of the history database at ``path``."""
    return path.with_name(path.name + "-files")


def _upload(row: tuple[Any, ...]) -> Upload:
    (
        upload_id,
        room,
        owner,
        name,
        kind,
        size,
        digest,
        created_ms,
        inline,
        width,
        height,
        attached,
    ) = row
    return Upload(
        upload_id, room, owner, name, kind, size, digest, created_ms, bool(inline), width, height,
        bool(attached),
    )  # fmt: skip


def _open(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    conn = connect(path, synchronous)
    migrate(conn, "sqlite_files")
    return conn


def _add_chunk(upload_id: str, seq: int, data: bytes, conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO upload_chunks (upload_id, seq, data) VALUES (?, ?, ?)", (upload_id, seq, data)
    )


def _chunk(upload_id: str, seq: int, conn: sqlite3.Connection) -> bytes | None:
    row = conn.execute(
        "SELECT data FROM upload_chunks WHERE upload_id = ? AND seq = ?", (upload_id, seq)
    ).fetchone()
    return None if row is None else bytes(row[0])


def _in(ids: Sequence[str]) -> str:
    return ", ".join("?" * len(ids))


class Files:
    """The files database: a writing thread and a reading thread, each with its connection."""

    def __init__(self, path: Path, synchronous: Synchronous) -> None:
        self.path = files_path(path)
        self._synchronous = synchronous
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="roomcast-files-write")
        self._reads = ThreadPoolExecutor(1, thread_name_prefix="roomcast-files-read")

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._writer = await loop.run_in_executor(self._writes, _open, self.path, self._synchronous)
        self._reader = await loop.run_in_executor(
            self._reads, connect, self.path, self._synchronous
        )

    async def close(self) -> None:
        """Close both connections once the work queued on them is done; end their threads."""
        loop = asyncio.get_running_loop()
        for conn, pool in ((self._writer, self._writes), (self._reader, self._reads)):
            if conn is not None:
                await loop.run_in_executor(pool, conn.close)
            await asyncio.to_thread(pool.shutdown)
        self._writer = self._reader = None

    async def _run(
        self, pool: ThreadPoolExecutor, conn: sqlite3.Connection | None, work: Callable[..., _T]
    ) -> _T:
        if conn is None:
            raise StoreUnavailable("the store is not open")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, work, conn)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the file store failed: {exc}") from exc

    async def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work`` in one transaction on the writing thread."""

        def transaction(conn: sqlite3.Connection) -> _T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self._run(self._writes, self._writer, transaction)

    async def _read(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        return await self._run(self._reads, self._reader, work)

    # -- UploadStore ----------------------------------------------------------------------------

    async def add_upload(
        self, upload: Upload, chunks: AsyncIterable[bytes], thumb: bytes | None, quota: int
    ) -> None:
        def begin(conn: sqlite3.Connection) -> None:
            (used,) = conn.execute(
                "SELECT coalesce(sum(size), 0) FROM uploads WHERE owner = ?", (upload.owner,)
            ).fetchone()
            if used + upload.size > quota:
                raise quota_refusal(quota)
            conn.execute(
                f"INSERT INTO uploads ({UPLOAD}, thumb) VALUES ({_in(UPLOAD.split(', '))}, ?)",
                (
                    *(getattr(upload, name) for name in UPLOAD.split(", ")[:-1]),
                    int(upload.attached),
                    thumb,
                ),
            )

        await self._write(begin)
        try:
            seq = 0
            async for chunk in chunks:
                await self._write(functools.partial(_add_chunk, upload.id, seq, chunk))
                seq += 1
            await self._write(
                lambda conn: conn.execute(
                    "UPDATE uploads SET complete = 1 WHERE id = ?", (upload.id,)
                )
            )
        except BaseException:
            await asyncio.shield(self.delete_uploads([upload.id]))
            raise

    async def upload(self, upload_id: str) -> Upload | None:
        row = await self._read(
            lambda conn: conn.execute(
                f"SELECT {UPLOAD} FROM uploads WHERE id = ? AND complete = 1", (upload_id,)
            ).fetchone()
        )
        return None if row is None else _upload(row)

    async def upload_chunks(self, upload_id: str, first: int, last: int) -> AsyncIterator[bytes]:
        for seq in range(first, last + 1):
            chunk = await self._read(functools.partial(_chunk, upload_id, seq))
            if chunk is None:  # deleted meanwhile
                return
            yield chunk

    async def thumbnail(self, upload_id: str) -> bytes | None:
        row = await self._read(
            lambda conn: conn.execute(
                "SELECT thumb FROM uploads WHERE id = ? AND complete = 1", (upload_id,)
            ).fetchone()
        )
        return None if row is None or row[0] is None else bytes(row[0])

    async def attach_uploads(self, room: str, owner: str, ids: Sequence[str]) -> list[Upload]:
        def attach(conn: sqlite3.Connection) -> list[Upload]:
            rows = conn.execute(
                f"SELECT {UPLOAD} FROM uploads WHERE complete = 1 AND id IN ({_in(ids)})", ids
            )
            chosen = check_attachable({row[0]: _upload(row) for row in rows}, ids, room, owner)
            conn.execute(f"UPDATE uploads SET attached = 1 WHERE id IN ({_in(ids)})", ids)
            return chosen

        return await self._write(attach)

    async def detach_uploads(self, ids: Sequence[str]) -> None:
        await self._write(
            lambda conn: conn.execute(
                f"UPDATE uploads SET attached = 0 WHERE id IN ({_in(ids)})", ids
            )
        )

    async def delete_uploads(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return await self._delete(f"id IN ({_in(ids)})", ids)

    async def expire_uploads(self, before_ms: int) -> int:
        return await self._delete("attached = 0 AND created_ms < ?", (before_ms,))

    async def delete_room_uploads(self, room: str) -> int:
        return await self._delete("room = ?", (room,))

    async def _delete(self, where: str, params: Sequence[Any]) -> int:
        """Delete the uploads ``where`` selects, with their chunks; how many."""

        def delete(conn: sqlite3.Connection) -> int:
            conn.execute(
                "DELETE FROM upload_chunks WHERE upload_id IN"
                f" (SELECT id FROM uploads WHERE {where})",
                params,
            )
            return conn.execute(f"DELETE FROM uploads WHERE {where}", params).rowcount

        return await self._write(delete)
