"""``POST /api/rooms/{room}/uploads``: a file shared in a room, for a line to attach.

Whoever may post in the room may upload to it: an account with the API's usual credentials, or
a guest that names its chat session (``X-Roomcast-Session``, the ``Session`` of its ``Status``
frame), so that only that session's lines can attach the file. Banned and muted people may not.
The body is the file itself (its ``Content-Type``, its name in ``X-Filename``, percent-encoded,
or ``?name=``) or one file part of ``multipart/form-data``; either way it is read as it streams,
counted against ``max_upload_bytes`` (``Content-Length`` first) and staged in a temporary file
that stays in memory up to one chunk. Then an image (its type sniffed from its bytes) is
measured and thumbnailed, and the file goes to the store chunk by chunk, within the person's
``upload_quota_bytes``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator
from typing import IO, Final

from aiohttp import BodyPartReader, web

from roomcast.auth import Identity
from roomcast.chat.state import session_sender
from roomcast.http import bodies
from roomcast.http.callers import identity_of
from roomcast.http.images import SNIFF_BYTES, ImageTooLarge, Picture, Pictures, sniff
from roomcast.http.inputs import room_param
from roomcast.http.keys import HUB_KEY, PICTURES_KEY, SETTINGS_KEY
from roomcast.http.replies import Refused, reply
from roomcast.store import owner_key
from roomcast.store.uploads import CHUNK_BYTES, Upload, UploadRefused
from roomcast.wire.attachments import Attachment
from roomcast.wire.protocol import ErrorCode, ProtocolError

SESSION_HEADER: Final = "X-Roomcast-Session"
MAX_NAME_CHARS: Final = 200
_READ_BYTES: Final = 64 * 1024
_MEDIA_TYPE: Final = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_SESSION: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
OCTET_STREAM: Final = "application/octet-stream"


def clean_name(raw: str) -> str:
    """A file name fit to show and to serve: no directories, no control or format characters
    (a right-to-left override could disguise an extension), NFC, at most ``MAX_NAME_CHARS``
    (the extension kept), "file" when nothing is left."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if name.strip(".") == "":
        return "file"
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension) > 16:
            return name[:MAX_NAME_CHARS]
        return stem[: MAX_NAME_CHARS - len(extension) - 1] + "." + extension
    return name


def media_type(raw: str | None) -> str:
    """The media type a file was sent as (parameters dropped), when it is a well-formed one."""
    kind = (raw or "").split(";", 1)[0].strip().lower()
    return kind if _MEDIA_TYPE.fullmatch(kind) else OCTET_STREAM


def _owner(request: web.Request, identity: Identity) -> str:
    """Whose the upload is: the account, or the guest session the request names (on a server
    that admits guests)."""
    if identity.account_id is not None:
        return owner_key(identity.account_id, "")
    if not request.app[SETTINGS_KEY].allow_guests:
        raise Refused(401, "login_required", "this server admits no guests: log in")
    session = request.headers.get(SESSION_HEADER, "")
    if not _SESSION.fullmatch(session):
        raise Refused(
            401, "session_required", f"log in, or send {SESSION_HEADER}: <your chat session>"
        )
    return owner_key(None, session_sender(session))


async def _may_post(request: web.Request, identity: Identity, room: str) -> None:
    """Refuse unless ``identity`` may post in ``room``: 404 for a room it may not read."""
    hub = request.app[HUB_KEY]
    policy = await hub.moderation.policy(room)
    if not policy.may_read(identity):
        raise Refused(404, "room_not_found", f"no room {room!r}")
    remote, now = request.remote or "", hub.moderation.clock.now_ms()
    policy.check_entry(identity, remote, room, now, None)
    if policy.mute_until(identity, remote, now) > now:
        raise ProtocolError(ErrorCode.MUTED, f"you are muted in {room!r}")


class _Staged:
    """The body as it arrives: counted, hashed, its first bytes kept, in a temporary file."""

    def __init__(self, file: IO[bytes], limit: int) -> None:
        self.limit = limit
        self.file = file
        self.size = 0
        self.digest = hashlib.sha256()
        self.head = b""

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise _too_large(self.limit)
        if len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
        self.digest.update(data)
        self.file.write(data)

    async def chunks(self) -> AsyncIterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(CHUNK_BYTES):
            yield chunk


def _too_large(limit: int) -> Refused:
    return Refused(413, "too_large", f"a file may have at most {limit} bytes")


async def _file_part(request: web.Request) -> BodyPartReader:
    """The file part of a multipart body: the one named ``file``, else the first with a name."""
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and (part.name == "file" or part.filename):
                return part
            if isinstance(part, BodyPartReader):
                await part.release()
    except (ValueError, AssertionError) as exc:
        raise Refused(400, "bad_upload", f"the multipart body is malformed: {exc}") from None
    raise Refused(400, "bad_upload", "the multipart body has no file part")


async def _receive(request: web.Request, staged: _Staged) -> tuple[str, str]:
    """Stage the body's file; its name and the type it was sent as."""
    if request.content_type == "multipart/form-data":
        part = await _file_part(request)
        while data := await part.read_chunk(_READ_BYTES):
            staged.add(data)
        return part.filename or "", media_type(part.headers.get("Content-Type"))
    async for data in request.content.iter_chunked(_READ_BYTES):
        staged.add(data)
    name = request.query.get("name") or urllib.parse.unquote(request.headers.get("X-Filename", ""))
    return name, media_type(request.headers.get("Content-Type"))


async def upload(request: web.Request) -> web.Response:
    hub, settings = request.app[HUB_KEY], request.app[SETTINGS_KEY]
    room = await room_param(request)
    identity = await identity_of(request, writing=True)
    owner = _owner(request, identity)
    await _may_post(request, identity, room)
    limit = settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    with tempfile.SpooledTemporaryFile(max_size=CHUNK_BYTES) as file:
        staged = _Staged(file, limit)
        name, kind = await _receive(request, staged)
        if staged.size == 0:
            raise Refused(400, "empty_file", "the file is empty")
        picture = await _picture(request.app[PICTURES_KEY], staged)
        record = Upload(
            secrets.token_urlsafe(16),
            room,
            owner,
            clean_name(name),
            (sniff(staged.head) or kind) if picture else kind,
            staged.size,
            staged.digest.hexdigest(),
            hub.moderation.clock.now_ms(),
            picture is not None,
            picture.width if picture else None,
            picture.height if picture else None,
        )
        try:
            thumb = picture.thumb if picture else None
            await hub.store.add_upload(record, staged.chunks(), thumb, settings.upload_quota_bytes)
        except UploadRefused as refused:
            raise Refused(413, refused.code, refused.message) from None
    return reply(file_body(record.attachment()), 201)


async def _picture(pictures: Pictures, staged: _Staged) -> Picture | None:
    """The staged file as an image, when its bytes say it is one and it decodes."""
    if sniff(staged.head) is None:
        return None
    try:
        return await pictures.picture(staged.file)
    except ImageTooLarge as exc:
        raise Refused(413, "image_too_large", f"the image is too large to decode: {exc}") from None


def file_body(attachment: Attachment) -> bodies.UploadedFile:
    """How the API describes an upload (an answer to one, a message's attachment)."""
    return bodies.UploadedFile(
        attachment.id,
        attachment.name,
        attachment.size,
        attachment.type,
        attachment.url,
        attachment.width,
        attachment.height,
        attachment.thumb,
    )


ROUTES = [web.post("/api/rooms/{room}/uploads", upload)]
