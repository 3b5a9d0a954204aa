"""Test helpers for files: images made with Pillow, an upload over REST (raw or multipart), a
fetch of a file URL, and a guest's connection with the session its uploads are made under."""

from __future__ import annotations

import io
import urllib.parse
from typing import Any

import aiohttp
from PIL import Image

from accounts import Reply
from helpers import Client


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (900, 600), **save: Any) -> bytes:
    """An image of ``size`` pixels encoded as ``kind`` (PNG, JPEG, GIF, WEBP)."""
    out = io.BytesIO()
    mode = "RGB" if kind in ("JPEG", "GIF") else "RGBA"
    Image.new(mode, size, (200, 30, 90)).save(out, kind, **save)
    return out.getvalue()


async def upload(
    base: str,
    room: str,
    data: bytes,
    *,
    name: str = "file.bin",
    kind: str = "application/octet-stream",
    cookie: str | None = None,
    session: str | None = None,
    multipart: bool = False,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> Reply:
    """POST ``data`` as a file of ``room``: the body itself (X-Filename), or multipart."""
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = cookie
    if session:
        sent["X-Roomcast-Session"] = session
    body: Any = data
    if multipart:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type=kind)
        body = form
    else:
        sent.setdefault("Content-Type", kind)
        sent.setdefault("X-Filename", urllib.parse.quote(name))  # as encodeURIComponent
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.post(f"{base}/api/rooms/{room}/uploads{query}", data=body, headers=sent) as response,
    ):
        return Reply(response.status, response.headers, await response.read())


async def fetch(base: str, url: str, headers: dict[str, str] | None = None) -> Reply:
    """GET a file URL (relative to the server) with ``headers``."""
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.get(base + url, headers=headers or {}) as response,
    ):
        return Reply(response.status, response.headers, await response.read())


async def guest(ws_url: str, room: str) -> tuple[Client, str]:
    """A guest in ``room`` and its session secret (what its uploads are made under)."""
    client = await Client.connect(ws_url, room=room)
    status = await client.expect("Status")
    await client.expect("Joined", lambda f: f["Room"] == room)
    return client, str(status["Session"])
