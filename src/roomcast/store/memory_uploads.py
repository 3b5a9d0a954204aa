"""The upload half of the in-memory store (``UploadStore``): files as lists of chunks in memory,
bounded by each person's quota. A mixin of ``MemoryStore``; nothing is kept across a restart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterable, AsyncIterator, Sequence

from roomcast.store.uploads import Upload, check_attachable, quota_refusal


class MemoryUploads:
    """``UploadStore`` for ``MemoryStore``."""

    def __init__(self) -> None:
        self._uploads: dict[str, Upload] = {}
        self._chunks: dict[str, list[bytes]] = {}
        self._thumbs: dict[str, bytes] = {}

    async def add_upload(
        self, upload: Upload, chunks: AsyncIterable[bytes], thumb: bytes | None, quota: int
    ) -> None:
        used = sum(u.size for u in self._uploads.values() if u.owner == upload.owner)
        if used + upload.size > quota:
            raise quota_refusal(quota)
        content = [chunk async for chunk in chunks]
        self._chunks[upload.id] = content
        if thumb is not None:
            self._thumbs[upload.id] = thumb
        self._uploads[upload.id] = upload

    async def upload(self, upload_id: str) -> Upload | None:
        return self._uploads.get(upload_id)

    async def upload_chunks(self, upload_id: str, first: int, last: int) -> AsyncIterator[bytes]:
        for index in range(first, last + 1):
            content = self._chunks.get(upload_id)
            if content is None or index >= len(content):  # deleted meanwhile
                return
            yield content[index]

    async def thumbnail(self, upload_id: str) -> bytes | None:
        return self._thumbs.get(upload_id)

    async def attach_uploads(self, room: str, owner: str, ids: Sequence[str]) -> list[Upload]:
        chosen = check_attachable(
            {i: self._uploads[i] for i in ids if i in self._uploads}, ids, room, owner
        )
        for upload in chosen:
            self._uploads[upload.id] = dataclasses.replace(upload, attached=True)
        return chosen

    async def detach_uploads(self, ids: Sequence[str]) -> None:
        for upload_id in ids:
            upload = self._uploads.get(upload_id)
            if upload is not None:
                self._uploads[upload_id] = dataclasses.replace(upload, attached=False)

    async def delete_uploads(self, ids: Sequence[str]) -> int:
        deleted = 0
        for upload_id in ids:
            if self._uploads.pop(upload_id, None) is not None:
                deleted += 1
            self._chunks.pop(upload_id, None)
            self._thumbs.pop(upload_id, None)
        return deleted

    async def expire_uploads(self, before_ms: int) -> int:
        return await self.delete_uploads(
            [u.id for u in self._uploads.values() if not u.attached and u.created_ms < before_ms]
        )

    async def delete_room_uploads(self, room: str) -> int:
        return await self.delete_uploads([u.id for u in self._uploads.values() if u.room == room])
