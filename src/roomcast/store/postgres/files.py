"""The PostgreSQL store's files (``UploadStore``): uploads and their chunks as ``bytea`` rows
(migration 0007), through the store's pool, so every node serves every file.

Each chunk is its own short statement on a connection borrowed for it alone: an upload never
holds a pooled connection (which the writer of chat lines also borrows) for longer than one
chunk. An upload's row is written first, under a lock on its owner while the quota is checked,
and marked complete after its last chunk: until then it is not found.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any, Final

import asyncpg

from roomcast.store.columns import UPLOAD
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import affected
from roomcast.store.uploads import Upload, check_attachable, quota_refusal

_INSERT: Final = (
    f"INSERT INTO uploads ({UPLOAD}, thumb)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
# Any value will do; with the owner's hash it locks one owner's quota.
_QUOTA_LOCK: Final = "SELECT pg_advisory_xact_lock(1969516916, hashtext($1))"  # b"uplo"


def _upload(row: asyncpg.Record) -> Upload:
    return Upload(*tuple(row))


class Files:
    """The upload part of the PostgreSQL store."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add_upload(
        self, upload: Upload, chunks: AsyncIterable[bytes], thumb: bytes | None, quota: int
    ) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(_QUOTA_LOCK, upload.owner)
            used = await conn.fetchval(
                "SELECT coalesce(sum(size), 0) FROM uploads WHERE owner = $1", upload.owner
            )
            if used + upload.size > quota:
                raise quota_refusal(quota)
            fields = (getattr(upload, name) for name in UPLOAD.split(", "))
            await conn.execute(_INSERT, *fields, thumb)
        try:
            seq = 0
            async for chunk in chunks:
                await self._execute(
                    "INSERT INTO upload_chunks (upload_id, seq, data) VALUES ($1, $2, $3)",
                    upload.id,
                    seq,
                    chunk,
                )
                seq += 1
            await self._execute("UPDATE uploads SET complete = true WHERE id = $1", upload.id)
        except BaseException:
            await asyncio.shield(self.delete_uploads([upload.id]))
            raise

    async def _execute(self, sql: str, *args: Any) -> str:
        async with self._pool.connection() as conn:
            status: str = await conn.execute(sql, *args)
            return status

    async def upload(self, upload_id: str) -> Upload | None:
        rows = await self._pool.fetch(
            f"SELECT {UPLOAD} FROM uploads WHERE id = $1 AND complete", upload_id
        )
        return _upload(rows[0]) if rows else None

    async def upload_chunks(self, upload_id: str, first: int, last: int) -> AsyncIterator[bytes]:
        for seq in range(first, last + 1):
            rows = await self._pool.fetch(
                "SELECT data FROM upload_chunks WHERE upload_id = $1 AND seq = $2", upload_id, seq
            )
            if not rows:  # deleted meanwhile
                return
            yield bytes(rows[0][0])

    async def thumbnail(self, upload_id: str) -> bytes | None:
        rows = await self._pool.fetch(
            "SELECT thumb FROM uploads WHERE id = $1 AND complete", upload_id
        )
        return None if not rows or rows[0][0] is None else bytes(rows[0][0])

    async def attach_uploads(self, room: str, owner: str, ids: Sequence[str]) -> list[Upload]:
        async with self._pool.connection() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT {UPLOAD} FROM uploads WHERE complete AND id = ANY($1::text[])"
                " ORDER BY id FOR UPDATE",
                list(ids),
            )
            chosen = check_attachable({row[0]: _upload(row) for row in rows}, ids, room, owner)
            await conn.execute(
                "UPDATE uploads SET attached = true WHERE id = ANY($1::text[])", list(ids)
            )
            return chosen

    async def detach_uploads(self, ids: Sequence[str]) -> None:
        await self._execute(
            "UPDATE uploads SET attached = false WHERE id = ANY($1::text[])", list(ids)
        )

    async def delete_uploads(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return await self._delete("id = ANY($1::text[])", list(ids))

    async def expire_uploads(self, before_ms: int) -> int:
        return await self._delete("NOT attached AND created_ms < $1", before_ms)

    async def delete_room_uploads(self, room: str) -> int:
        return await self._delete("room = $1", room)

    async def _delete(self, where: str, param: Any) -> int:
        """Delete the uploads ``where`` selects (with ``param`` as $1) and their chunks."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM upload_chunks WHERE upload_id IN"
                f" (SELECT id FROM uploads WHERE {where})",
                param,
            )
            return affected(await conn.execute(f"DELETE FROM uploads WHERE {where}", param))
