"""The webhook client against a real aiohttp server on 127.0.0.1: the body and headers as given,
the status back, and a redirect answered, not followed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from roomcast import __version__
from roomcast.http.webhook import WebhookClient


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[TestServer, list[web.Request], list[bytes]]]:
    requests: list[web.Request] = []
    bodies: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        requests.append(request)
        bodies.append(await request.read())
        return web.Response(status=int(request.query.get("answer", "204")))

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/hook")

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_post("/moved", moved)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, requests, bodies
    await server.close()


async def test_a_post_carries_the_body_and_headers_and_gives_the_status(
    receiver: tuple[TestServer, list[web.Request], list[bytes]],
) -> None:
    server, requests, bodies = receiver
    client = WebhookClient()
    headers = {"Content-Type": "application/json", "Idempotency-Key": "abc"}
    assert await client.post(str(server.make_url("/hook")), b'{"a":1}', headers) == 204
    assert await client.post(str(server.make_url("/hook?answer=500")), b"{}", headers) == 500
    await client.close()
    assert bodies == [b'{"a":1}', b"{}"]
    first = requests[0].headers
    assert first["Idempotency-Key"] == "abc"
    assert first["Content-Type"] == "application/json"
    assert first["User-Agent"] == f"roomcast/{__version__}"


async def test_a_redirect_is_an_answer_not_followed(
    receiver: tuple[TestServer, list[web.Request], list[bytes]],
) -> None:
    server, requests, _ = receiver
    client = WebhookClient()
    assert await client.post(str(server.make_url("/moved")), b"{}", {}) == 302
    await client.close()
    assert requests == []


async def test_an_unreachable_webhook_raises() -> None:
    client = WebhookClient()
    with pytest.raises(OSError, match=r"127\.0\.0\.1:9"):
        await client.post("http://127.0.0.1:9/hook", b"{}", {})
    await client.close()
