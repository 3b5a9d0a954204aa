"""/metrics in the Prometheus text format, counted from real traffic; and the log lines."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
from typing import Any

import aiohttp
import pytest

from conftest import ServerProcess
from helpers import Client, b64

from .support import API_KEY, auth, http

_SAMPLE = re.compile(r'^([a-z_]+)(?:\{((?:[a-z_]+="[^"]*",?)*)\})? (\S+)$')


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Samples by (name, labels), after checking the exposition's shape."""
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    typed: dict[str, str] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            typed[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
        assert family in typed, f"{name} has no # TYPE"
        pairs = tuple(re.findall(r'([a-z_]+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    for name, kind in typed.items():
        if kind == "histogram":
            buckets = [v for (n, _), v in samples.items() if n == f"{name}_bucket"]
            assert buckets == sorted(buckets), f"{name} buckets are not cumulative"
            assert buckets[-1] == samples[(f"{name}_count", ())]
    return samples


async def scrape(server: ServerProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = await http("GET", f"{server.http_url}/metrics")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(reply.body.decode())


async def test_metrics_count_connections_messages_and_errors(api_server: ServerProcess) -> None:
    async with (
        await Client.connect(api_server.ws_url, room="m", nick="ann") as ann,
        await Client.connect(api_server.ws_url, room="m", nick="ben") as ben,
    ):
        for i in range(3):
            await ann.say(f"line {i}", Ref=i)
        await ben.chats(3)
        for i in range(3):
            await ann.expect("Ack", lambda f, i=i: f["Ref"] == i)
        await ann.send("{oops")
        await ann.expect("Error")
        await ben.send({"Type": "Leave", "Room": "elsewhere"})
        await ben.expect("Error")
        metrics = await scrape(api_server)
    assert metrics[("roomcast_connections", ())] == 2
    assert metrics[("roomcast_connections_opened_total", ())] == 2
    assert metrics[("roomcast_rooms", ())] == 1
    assert metrics[("roomcast_room_members", ())] == 2
    assert metrics[("roomcast_messages_received_total", ())] == 3
    assert metrics[("roomcast_messages_delivered_total", ())] == 6
    assert metrics[("roomcast_errors_total", (("code", "bad_json"),))] == 1
    assert metrics[("roomcast_errors_total", (("code", "not_in_room"),))] == 1
    # One observation per room and loop iteration with frames for it (lines, user lists).
    assert metrics[("roomcast_fanout_seconds_count", ())] >= 1
    assert 0 < metrics[("roomcast_fanout_seconds_sum", ())] < 5
    assert metrics[("roomcast_store_write_seconds_count", ())] == 3
    assert 0 < metrics[("roomcast_store_write_seconds_sum", ())] < 5
    assert metrics[("roomcast_info", (("version", "0.1.0"),))] == 1
    await asyncio.sleep(0.1)
    after = await scrape(api_server)
    assert after[("roomcast_connections", ())] == 0
    assert after[("roomcast_rooms", ())] == 0


async def test_event_loop_lag_is_sampled_while_the_server_runs(api_server: ServerProcess) -> None:
    first = await scrape(api_server)
    key = ("roomcast_event_loop_lag_seconds_count", ())
    assert ("roomcast_event_loop_lag_seconds_bucket", (("le", "0.001"),)) in first
    later = first
    for _ in range(100):
        await asyncio.sleep(0.05)
        later = await scrape(api_server)
        if later[key] > first[key]:
            break
    assert later[key] > first[key]


async def _silent_reader(port: int, *, late: bool = False) -> socket.socket:
    """A WebSocket client with a tiny receive buffer that never reads after the handshake;
    ``late``: its upgrade follows a plain HTTP request on the same connection."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    if late:
        request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        await loop.sock_sendall(sock, request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += await loop.sock_recv(sock, 4096)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
        while len(body) < length:
            body += await loop.sock_recv(sock, 4096)
        assert head.startswith(b"HTTP/1.1 200"), head
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws?room=flood&nick=sloth HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


@pytest.mark.parametrize("late", [False, True], ids=["first-request", "after-http"])
async def test_a_slow_consumer_is_dropped_and_counted(server_factory: Any, late: bool) -> None:
    """Dropped within about a megabyte: the high-water mark (64 KiB) and the server's small kernel
    send buffer (256 KiB), where an autotuned one would hold 4 MiB first, also on a connection
    that served plain HTTP (with its large buffer for downloads) before its upgrade."""
    server = server_factory(
        "--write-buffer-high-water",
        "65536",
        "--max-text-chars",
        "100000",
        env={"ROOMCAST_API_KEY": API_KEY},
    )
    sloth = await _silent_reader(server.port, late=late)
    url = f"{server.http_url}/api/rooms/flood/messages"
    try:
        async with aiohttp.ClientSession(headers=auth()) as session:
            for _ in range(10):  # 1 MB
                async with session.post(url, json={"text": "x" * 100_000}) as reply:
                    assert reply.status == 201
                metrics = await scrape(server)
                if metrics[("roomcast_slow_consumers_dropped_total", ())] == 1:
                    break
            assert metrics[("roomcast_slow_consumers_dropped_total", ())] == 1
    finally:
        sloth.close()


async def test_log_lines_for_open_error_close_without_message_text(server_factory: Any) -> None:
    server = server_factory("--log-format", "json")
    secret = "the password is swordfish"
    async with await Client.connect(server.ws_url, room="quiet", nick="teller") as teller:
        wsid = (await teller.expect("Status"))["WSID"]
        await teller.say(secret, Ref=1)
        await teller.expect("Ack")
        await teller.send({"Type": "Nick", "Name": "admin", "Ref": 2})
        await teller.expect("Error")
        await teller.send({"Message": "not base64!", "Ref": 3})
        await teller.expect("Error")
    await asyncio.sleep(0.2)
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    mine = [entry["message"] for entry in lines if wsid in entry["message"]]
    assert len([m for m in mine if " open " in m]) == 1, mine
    assert len([m for m in mine if " closed " in m]) == 1, mine
    assert any(m.endswith("error nick_reserved") for m in mine), mine
    assert any(m.endswith("error bad_base64") for m in mine), mine
    assert all(entry["level"] in ("INFO", "WARNING") for entry in lines)
    assert secret not in server.log()
    assert b64(secret) not in server.log()
