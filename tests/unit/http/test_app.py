"""The application's own answers: the browser client and the security headers on everything."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast.http.app import SECURITY_HEADERS


async def test_the_web_client_is_served_with_security_headers(
    client: TestClient[Any, Any],
) -> None:
    for path in ("/", "/static/style.css", "/api/rooms", "/api/nothing"):
        reply = await client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert reply.headers[name] == value, (path, name)
    index = await client.get("/")
    assert index.status == 200
    assert "<html" in (await index.text()).lower()


async def test_static_files_do_not_escape_the_web_directory(
    client: TestClient[Any, Any],
) -> None:
    assert (await client.get("/static/../../pyproject.toml")).status in (403, 404)
