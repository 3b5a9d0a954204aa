"""WebSocket upgrades sent on a kept-alive connection after plain HTTP requests, as a reverse
proxy with pooled upstream connections sends them: answered 101 and chatting, or refused exactly
as the same upgrade opening a connection is."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest

from conftest import ServerProcess

from .support import OP_CLOSE, OP_TEXT, Names, RawWebSocket, encode_frame, upgrade_request


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bytes]:
    """One HTTP response with a Content-Length: status, head and body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await asyncio.wait_for(reader.readexactly(length), 15)
    return int(head.split(b" ", 2)[1]), head, body


async def after_healthz(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that has carried one kept-alive ``GET /healthz`` and its full answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, head, _ = await read_response(reader)
    assert status == 200
    assert b"connection: close" not in head.lower()
    return reader, writer


async def test_upgrade_after_a_request_on_the_same_socket_chats(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    reader, writer = await after_healthz(live.port)
    line = json.dumps({"Message": base64.b64encode(b"late hello").decode(), "Ref": "late-1"})
    # The first frame travels in the same write as the upgrade: aiohttp reads it with the head.
    writer.write(
        upgrade_request(live.port, "/ws", room=room, nick=names.nick())
        + encode_frame(OP_TEXT, line.encode())
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    assert head.startswith(b"HTTP/1.1 101"), head
    raw = RawWebSocket(reader, writer)
    try:
        frames = [await raw.read_json()]
        while not {"Ack", "Chat"} <= {f["Type"] for f in frames}:
            frames.append(await raw.read_json())
        kinds = {f["Type"]: f for f in frames}
        assert kinds["Status"]["Room"] == room
        assert kinds["Ack"]["Ref"] == "late-1"
        assert kinds["Chat"]["ID"] == kinds["Ack"]["ID"]
        assert base64.b64decode(kinds["Chat"]["Message"]) == b"late hello"
        raw.send_frame(OP_CLOSE, b"\x03\xe8")
        assert (await raw.close_code())[0] == 1000
    finally:
        raw.abort()
    # aiohttp let go of the socket quietly: no error answer, no logged exception.
    assert "Traceback" not in live.log()
    assert "Error handling request" not in live.log()


async def count(events: list[str], name: str) -> None:
    events.append(name)


async def test_pooled_client_connection_upgrades(live: ServerProcess, names: Names) -> None:
    room = names.room()
    events: list[str] = []
    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(lambda *_: count(events, "new"))
    trace.on_connection_reuseconn.append(lambda *_: count(events, "reused"))
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as session:
        async with session.get(f"{live.http_url}/healthz") as response:
            assert response.status == 200
            await response.read()
        async with session.ws_connect(f"{live.ws_url}?room={room}") as ws:
            assert events == ["new", "reused"]  # one pooled connection carried both
            assert (await ws.receive_json(timeout=15))["Type"] == "Status"
            text = base64.b64encode(b"pooled").decode()
            await ws.send_json({"Message": text, "Ref": 7})
            seen: dict[str, Any] = {}
            while not {"Ack", "Chat"} <= seen.keys():
                frame = await ws.receive_json(timeout=15)
                seen[frame["Type"]] = frame
            assert seen["Ack"]["Ref"] == 7
            assert seen["Chat"]["Message"] == text


BAD_UPGRADES = {
    "foreign origin": ("Origin: https://evil.example",),
    "old version": ("Sec-WebSocket-Version: 8",),
    "bad key": ("Sec-WebSocket-Key: not-a-key",),
    "no connection upgrade": ("Connection: keep-alive",),
}


@pytest.mark.parametrize("headers", BAD_UPGRADES.values(), ids=BAD_UPGRADES.keys())
async def test_refusals_are_the_same_as_on_a_first_request(
    server_factory: Any, headers: tuple[str, ...]
) -> None:
    server: ServerProcess = server_factory(
        env={"ROOMCAST_ALLOWED_ORIGINS": "https://chat.example.org"}
    )
    request = upgrade_request(server.port, "/ws", *headers)
    answers = []
    for late in (False, True):
        if late:
            reader, writer = await after_healthz(server.port)
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(request)
        status, head, body = await read_response(reader)
        assert b"application/json" in head
        assert await asyncio.wait_for(reader.read(), 15) == b""  # the connection is closed
        writer.close()
        answers.append((status, json.loads(body)))
    assert answers[0] == answers[1]
    assert answers[0][0] in {400, 403, 426}


async def test_connection_limits_apply_to_a_late_upgrade(server_factory: Any) -> None:
    server: ServerProcess = server_factory(env={"ROOMCAST_MAX_CONNECTIONS_PER_IP": "1"})
    first = await RawWebSocket.connect(server.port, room="limits")
    try:
        assert (await first.read_json())["Type"] == "Status"
        reader, writer = await after_healthz(server.port)
        writer.write(upgrade_request(server.port, "/ws", room="limits"))
        status, _, body = await read_response(reader)
        writer.close()
        assert (status, json.loads(body)["error"]["code"]) == (503, "too_many_connections")
    finally:
        first.abort()
