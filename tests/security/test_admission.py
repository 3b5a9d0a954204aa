"""Who may connect, on a live server: origins, connection limits, slow headers, TLS."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
import websockets

from helpers import Client


async def test_cross_site_pages_are_refused_and_the_own_origin_is_allowed(
    server_factory: Any,
) -> None:
    server = server_factory("--allowed-origins", "http://partner.example")
    own = f"http://127.0.0.1:{server.port}"
    for origin in (own, "http://partner.example"):
        async with websockets.connect(server.ws_url, origin=origin) as ws:  # type: ignore[arg-type]
            assert json.loads(await ws.recv())["Type"] == "Status"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url, origin="http://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"]["code"] == "origin_not_allowed"


async def test_connections_per_address_are_capped(server_factory: Any) -> None:
    server = server_factory("--max-connections-per-ip", "2")
    first = await Client.connect(server.ws_url)
    second = await Client.connect(server.ws_url)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url)
    assert refused.value.response.status_code == 503
    await first.close()
    await asyncio.sleep(0.3)
    third = await Client.connect(server.ws_url)
    assert (await third.expect("Status"))["Type"] == "Status"
    await second.close()
    await third.close()


def test_a_client_that_never_finishes_its_headers_is_cut_off(server_factory: Any) -> None:
    server = server_factory("--header-timeout", "1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        sock.settimeout(10)
        assert sock.recv(1024) == b""  # the server closed the connection


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_serves_wss(server_factory: Any, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = server_factory("--certfile", str(cert), "--keyfile", str(key), start=False)
    server.scheme = "https"
    server.start()
    context = ssl.create_default_context(cafile=str(cert))
    url = f"wss://127.0.0.1:{server.port}/ws?room=secure"
    async with websockets.connect(url, ssl=context) as ws:
        status = json.loads(await ws.recv())
        assert status["Room"] == "secure"
