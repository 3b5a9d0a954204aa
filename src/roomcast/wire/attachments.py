"""Files attached to a chat line: the stored record, its ``Chat`` frame entry, its URLs and the
JSON form the SQL stores keep in the line's ``attachments`` column.

An attachment is an upload (``POST /api/rooms/{room}/uploads``) named by a line's
``Attachments``; every ``Chat`` frame of that line lists it, images with their size and the URL
of a thumbnail.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Final

import orjson
from msgspec import Meta, Struct

from roomcast.record import record

MAX_ATTACHMENTS: Final = 10
MAX_UPLOAD_ID_CHARS: Final = 64

UploadID = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_UPLOAD_ID_CHARS,
        description="The id of an upload (POST /api/rooms/{room}/uploads) of the same room",
    ),
]


def file_url(upload_id: str, name: str) -> str:
    """Where a file is served (relative to the server's origin)."""
    return f"/api/files/{upload_id}/{urllib.parse.quote(name, safe='')}"


def thumb_url(upload_id: str) -> str:
    """Where an image's thumbnail is served."""
    return f"/api/thumbs/{upload_id}"


class AttachmentEntry(Struct, forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """A file attached to the line; images also give their size in pixels and a thumbnail."""

    ID: UploadID
    Name: str
    Size: Annotated[int, Meta(ge=1, description="Bytes")]
    Type: Annotated[str, Meta(description="The media type: sniffed for images, else as sent")]
    URL: Annotated[str, Meta(description="Where the file is served, relative to the server")]
    Width: Annotated[int, Meta(ge=1)] | None = None
    Height: Annotated[int, Meta(ge=1)] | None = None
    Thumb: Annotated[str, Meta(description="The thumbnail's URL (at most 400 px)")] | None = None


@record
class Attachment:
    """An upload as a line carries it: ``width`` and ``height`` are set for an image (which then
    has a thumbnail), None for any other file."""

    id: str
    name: str
    size: int
    type: str
    width: int | None = None
    height: int | None = None

    @property
    def url(self) -> str:
        return file_url(self.id, self.name)

    @property
    def thumb(self) -> str | None:
        return None if self.width is None else thumb_url(self.id)

    def entry(self) -> AttachmentEntry:
        return AttachmentEntry(
            self.id, self.name, self.size, self.type, self.url, self.width, self.height, self.thumb
        )


def entries(attachments: tuple[Attachment, ...]) -> list[AttachmentEntry] | None:
    """The ``Attachments`` of a ``Chat`` frame; None (left out) when there are none."""
    return [a.entry() for a in attachments] or None


def stored_attachments(attachments: tuple[Attachment, ...]) -> str | None:
    """The ``attachments`` column of a line: a JSON array of arrays, None when there are none."""
    if not attachments:
        return None
    return orjson.dumps(
        [[a.id, a.name, a.size, a.type, a.width, a.height] for a in attachments]
    ).decode()


def read_attachments(column: str | None) -> tuple[Attachment, ...]:
    """The attachments of a line from its ``attachments`` column."""
    if not column:
        return ()
    return tuple(Attachment(*item) for item in orjson.loads(column))
