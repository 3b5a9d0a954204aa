"""Uploading a file for a line to attach: ``POST /api/rooms/{room}/uploads`` under the client's
chat session (a guest's uploads belong to its session, and only its lines can attach them).

A path is streamed from the disk as it is sent; bytes are sent as they are. The answer is the
``Attachment`` to name in ``ChatClient.send(..., attachments=[...])``.
"""

from __future__ import annotations

import mimetypes
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from roomcast.client.events import Attachment, ChatError


def http_url(ws_url: URL) -> URL:
    """The server's HTTP origin for its WebSocket URL."""
    return ws_url.with_scheme("https" if ws_url.scheme == "wss" else "http").with_path("/")


def attachment_from_body(body: dict[str, Any]) -> Attachment:
    """The upload an answer of the upload endpoint describes."""
    return Attachment(
        body["id"], body["name"], body["size"], body["type"], body["url"],
        body.get("width"), body.get("height"), body.get("thumb"),
    )  # fmt: skip


async def upload(
    http: aiohttp.ClientSession,
    origin: URL,
    room: str,
    session: str,
    content: bytes | str | Path,
    name: str | None,
    kind: str | None,
) -> Attachment:
    """Upload ``content`` (bytes, or the path of a file) to ``room``; ``ChatError`` when the
    server refuses it (its code: ``too_large``, ``quota_exceeded``, ...)."""
    path = None if isinstance(content, bytes) else Path(content)
    name = name or (path.name if path is not None else "file")
    kind = kind or mimetypes.guess_type(name)[0] or "application/octet-stream"
    headers = {
        "X-Roomcast-Session": session,
        "X-Filename": urllib.parse.quote(name),
        "Content-Type": kind,
    }
    url = origin.with_path(f"/api/rooms/{urllib.parse.quote(room, safe='')}/uploads")
    if path is None:
        assert isinstance(content, bytes)
        return await _post(http, url, content, headers)
    with path.open("rb") as file:  # aiohttp streams it in chunks
        return await _post(http, url, file, headers)


async def _post(
    http: aiohttp.ClientSession, url: URL, data: Any, headers: dict[str, str]
) -> Attachment:
    async with http.post(url, data=data, headers=headers) as response:
        body = await response.json(content_type=None)
        if response.status != 201:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise ChatError(str(error.get("code", response.status)), str(error.get("message")))
        return attachment_from_body(body)
