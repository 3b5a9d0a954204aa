"""The upload store: files shared in rooms, kept by the message store itself in fixed-size chunks.

An upload belongs to a room and a person (``owner_key``). Its content is written and read chunk
by chunk (``CHUNK_BYTES`` each, the last one shorter), so no store holds a whole file in memory
on its way in or out; an image also has a thumbnail (small: at most 400 px, kept whole). A line
``attach``es uploads when it is sent; an upload nobody attached is removed by ``expire_uploads``,
and deleting the line or its room removes its files.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Final, Protocol

from roomcast.record import record
from roomcast.wire.attachments import Attachment
from roomcast.wire.errors import ErrorCode

CHUNK_BYTES: Final = 256 * 1024


@record
class Upload:
    """A stored file. ``digest`` is the SHA-256 of its content (hex); ``inline`` says its bytes
    are a PNG, JPEG, GIF or WebP image (``type`` is then that sniffed type), which also has
    ``width``, ``height`` and a thumbnail when it decoded; ``attached``: a line carries it."""

    id: str
    room: str
    owner: str
    name: str
    type: str
    size: int
    digest: str
    created_ms: int
    inline: bool = False
    width: int | None = None
    height: int | None = None
    attached: bool = False

    def attachment(self) -> Attachment:
        return Attachment(self.id, self.name, self.size, self.type, self.width, self.height)


class UploadRefused(Exception):
    """An upload may not be stored or attached: ``quota_exceeded``, ``attachment_not_found``
    or ``attachment_used``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


QUOTA_EXCEEDED: Final = "quota_exceeded"


def quota_refusal(quota: int) -> UploadRefused:
    return UploadRefused(
        QUOTA_EXCEEDED, f"your files would pass your quota of {quota} bytes; delete some first"
    )


def not_found(upload_id: str) -> UploadRefused:
    return UploadRefused(
        ErrorCode.ATTACHMENT_NOT_FOUND, f"no upload {upload_id!r} of yours in this room"
    )


def used(upload_id: str) -> UploadRefused:
    return UploadRefused(ErrorCode.ATTACHMENT_USED, f"upload {upload_id!r} is already attached")


def check_attachable(
    found: dict[str, Upload], ids: Sequence[str], room: str, owner: str
) -> list[Upload]:
    """The uploads ``ids`` names, in that order, when each is ``owner``'s, of ``room`` and not
    yet attached (``found``: the uploads of those ids that exist); else the refusal."""
    chosen = []
    for upload_id in ids:
        upload = found.get(upload_id)
        if upload is None or upload.room != room or upload.owner != owner:
            raise not_found(upload_id)
        if upload.attached:
            raise used(upload_id)
        chosen.append(upload)
    return chosen


def chunk_range(start: int, end: int) -> tuple[int, int]:
    """The indexes of the first and last chunk holding bytes ``start`` to ``end`` (inclusive)."""
    return start // CHUNK_BYTES, end // CHUNK_BYTES


class UploadStore(Protocol):
    """Files of rooms, their chunks and thumbnails."""

    async def add_upload(
        self, upload: Upload, chunks: AsyncIterable[bytes], thumb: bytes | None, quota: int
    ) -> None:
        """Store ``upload`` with its content, ``chunks`` of ``CHUNK_BYTES`` (the last one
        shorter); it is found once all of it is stored. ``UploadRefused`` (``quota_exceeded``,
        nothing stored) when the owner's live uploads and this one would pass ``quota``."""

    async def upload(self, upload_id: str) -> Upload | None:
        """The stored upload ``upload_id``, else None."""

    def upload_chunks(self, upload_id: str, first: int, last: int) -> AsyncIterator[bytes]:
        """Chunks ``first`` to ``last`` (inclusive) of the upload's content, read one by one."""

    async def thumbnail(self, upload_id: str) -> bytes | None:
        """The upload's thumbnail (an image's), else None."""

    async def attach_uploads(self, room: str, owner: str, ids: Sequence[str]) -> list[Upload]:
        """Mark the uploads ``ids`` attached, all or none: ``UploadRefused`` unless each is
        ``owner``'s, of ``room`` and not attached yet (``check_attachable``)."""

    async def detach_uploads(self, ids: Sequence[str]) -> None:
        """Undo ``attach_uploads`` for a line that was not stored."""

    async def delete_uploads(self, ids: Sequence[str]) -> int:
        """Delete these uploads (a deleted line's); how many there were."""

    async def expire_uploads(self, before_ms: int) -> int:
        """Delete the uploads created before ``before_ms`` that no line carries; how many."""


class RoomFiles(UploadStore, Protocol):
    """The upload part of a composed store, which deletes a room's files with the room."""

    async def delete_room_uploads(self, room: str) -> int:
        """Delete every upload of ``room``; how many."""
