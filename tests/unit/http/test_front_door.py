"""The first protocol of every connection, on a real listening socket: WebSocket upgrades are
checked and answered, everything else reaches the aiohttp application."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from roomcast.http.front_door import FrontDoor
from roomcast.http.upgrades import Refusal
from roomcast.ops.config import Settings
from roomcast.ops.serve import Node
from roomcast.transport.admission import parse_origins
from roomcast.wire.http1 import MAX_HEAD_BYTES


@pytest.fixture
async def port(node: Node) -> AsyncIterator[int]:
    runner = web.AppRunner(node.app, handle_signals=False)
    await runner.setup()
    http_server = runner.server
    assert http_server is not None
    origins = parse_origins(node.hub.settings.allowed_origins)
    listener = await asyncio.get_running_loop().create_server(
        lambda: FrontDoor(node.service, http_server, origins), "127.0.0.1", 0
    )
    node.service.start()
    yield listener.sockets[0].getsockname()[1]
    listener.close()
    await node.service.close_all(1001, "test over", 1.0)
    await runner.cleanup()


def upgrade(path: str = "/ws", **headers: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def exchange(port: int, request: bytes, *, until_eof: bool = True) -> tuple[int, Any]:
    """Send ``request``; the status and (for a refusal) the JSON body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    body = await reader.read() if until_eof else b""
    writer.close()
    return status, json.loads(body) if body else None


async def test_plain_http_goes_to_the_application(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"status":"ok"' in answer


@pytest.mark.parametrize("path", ["/ws", "/csp/user/Chat.Server.cls"])
async def test_both_websocket_paths_upgrade(port: int, path: str) -> None:
    status, _ = await exchange(port, upgrade(path), until_eof=False)
    assert status == 101


async def test_refusals_are_json(port: int, node: Node) -> None:
    status, body = await exchange(port, upgrade(Origin="https://evil.example"))
    assert (status, body["error"]["code"]) == (403, "origin_not_allowed")
    status, body = await exchange(port, b"x" * (MAX_HEAD_BYTES + 1))
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    status, body = await exchange(port, b"NONSENSE\r\n\r\n")
    assert status == 400
    node.hub.closing = True
    status, body = await exchange(port, upgrade())
    assert (status, body["error"]["code"]) == (503, "shutting_down")


@pytest.mark.parametrize("settings", [Settings(allow_guests=False)])
async def test_a_members_only_server_wants_credentials(port: int) -> None:
    status, body = await exchange(port, upgrade())
    assert (status, body["error"]["code"]) == (401, "login_required")
    status, _ = await exchange(port, upgrade(Cookie="roomcast_session=abc"), until_eof=False)
    assert status == 101


def test_a_refusal_is_a_json_error() -> None:
    body = json.loads(Refusal(403, "origin_not_allowed", "not from here").body())
    assert body == {"error": {"code": "origin_not_allowed", "message": "not from here"}}
