"""``GET /api/files/{id}/{name}`` and ``GET /api/thumbs/{id}``: a room's files, to those who may
read the room (to anyone else, and for an unknown id, 404, as for a private room).

A file is never a page of this site: every answer has ``X-Content-Type-Options: nosniff`` and
``Content-Security-Policy: sandbox``, and only PNG, JPEG, GIF and WebP images (their type sniffed
from their bytes when they were uploaded, never taken from the upload) are shown inline, with that
type. Anything else, HTML and SVG included, is a download: ``Content-Disposition: attachment``
and ``application/octet-stream``. Content streams from the store chunk by chunk; a single byte
range gives 206 (416 when it is past the end; ``If-Range`` honoured), the strong ``ETag`` is the
content's SHA-256, ``If-None-Match`` gives 304, and caches must ask again each time
(``private, no-cache``), so a deleted file stops being served at once.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator, Callable
from typing import Final

from aiohttp import web

from roomcast.http.callers import identity_of
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused
from roomcast.http.uploads import OCTET_STREAM
from roomcast.store.uploads import CHUNK_BYTES, Upload, chunk_range
from roomcast.wire.protocol import ProtocolError

_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Cache-Control": "private, no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Accept-Ranges": "bytes",
}
_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)")
THUMB_TYPE: Final = "image/webp"

# The bytes from ``start`` to ``end`` (inclusive) of what is served, in pieces.
Reader = Callable[[int, int], AsyncIterator[bytes]]


def _not_found() -> Refused:
    return Refused(404, "not_found", "no such file")


async def _readable(request: web.Request) -> Upload:
    """The upload the path names, when the caller may read its room."""
    hub = request.app[HUB_KEY]
    upload = await hub.store.upload(request.match_info["id"])
    if upload is None:
        raise _not_found()
    try:
        await hub.moderation.check_read(await identity_of(request), upload.room)
    except ProtocolError:
        raise _not_found() from None
    return upload


def disposition(upload: Upload) -> str:
    """``inline`` for a sniffed image, else ``attachment``, with the name (RFC 6266)."""
    kind = "inline" if upload.inline else "attachment"
    return f"{kind}; filename*=UTF-8''{urllib.parse.quote(upload.name, safe='')}"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The single range ``header`` asks for, as (first, last) byte; None for the whole file
    (no header, one that is malformed, or several ranges: a server may ignore those).
    ``Refused`` (416) when no byte of it is in the file."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None or not any(match.groups()):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
        if int(last) == 0:
            raise _unsatisfiable(size)
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return None  # malformed: ignored
    if start >= size:
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> Refused:
    return Refused(
        416,
        "range_not_satisfiable",
        f"the file has {size} bytes",
        {"Content-Range": f"bytes */{size}", **_HEADERS},
    )


def _etag_in(header: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (a weak comparison, as RFC 9110 says)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


async def _serve(
    request: web.Request, *, etag: str, size: int, kind: str, disposition: str, read: Reader
) -> web.StreamResponse:
    headers = {**_HEADERS, "ETag": etag, "Content-Disposition": disposition}
    if _etag_in(request.headers.get("If-None-Match", ""), etag):
        return web.Response(status=304, headers=headers)
    wanted = request.headers.get("Range")
    if request.headers.get("If-Range", etag) != etag:
        wanted = None  # the file changed since (or a date, which this server does not use)
    span = byte_range(wanted, size)
    start, end = span or (0, size - 1)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response = web.StreamResponse(status=206 if span else 200, headers=headers)
    response.content_type = kind
    response.content_length = end - start + 1
    await response.prepare(request)
    try:
        async for piece in read(start, end):
            await response.write(piece)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client went away
    return response


async def serve_file(request: web.Request) -> web.StreamResponse:
    upload = await _readable(request)
    store = request.app[HUB_KEY].store

    async def read(start: int, end: int) -> AsyncIterator[bytes]:
        first, last = chunk_range(start, end)
        offset = first * CHUNK_BYTES
        async for chunk in store.upload_chunks(upload.id, first, last):
            yield chunk[max(0, start - offset) : end + 1 - offset]
            offset += len(chunk)

    return await _serve(
        request,
        etag=f'"{upload.digest}"',
        size=upload.size,
        kind=upload.type if upload.inline else OCTET_STREAM,
        disposition=disposition(upload),
        read=read,
    )


async def serve_thumb(request: web.Request) -> web.StreamResponse:
    upload = await _readable(request)
    thumb = await request.app[HUB_KEY].store.thumbnail(upload.id)
    if thumb is None:
        raise _not_found()

    async def read(start: int, end: int) -> AsyncIterator[bytes]:
        yield thumb[start : end + 1]

    stem = upload.name.rpartition(".")[0] or upload.name
    return await _serve(
        request,
        etag=f'"{upload.digest}-thumb"',
        size=len(thumb),
        kind=THUMB_TYPE,
        disposition=f"inline; filename*=UTF-8''{urllib.parse.quote(stem, safe='')}.webp",
        read=read,
    )


ROUTES = [
    web.get("/api/files/{id}/{name}", serve_file, allow_head=False),
    web.get("/api/thumbs/{id}", serve_thumb, allow_head=False),
]
