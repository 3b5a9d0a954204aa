"""Serve wiring: the API key kept in the data directory, TLS settings, the node's assembly, and
a whole ``serve`` run in-process that stops on SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import stat
from pathlib import Path

import pytest
from aiohttp import ClientSession

from roomcast.broker.memory import MemoryBroker
from roomcast.chat.notifier import Notifier
from roomcast.http.keys import API_KEY_KEY, HUB_KEY
from roomcast.ops import address
from roomcast.ops.config import Settings
from roomcast.ops.serve import assemble, load_api_key, serve, tls_context
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore


def test_a_configured_api_key_is_used_as_is(tmp_path: Path) -> None:
    assert load_api_key(Settings(api_key="given", data_dir=str(tmp_path))) == "given"
    assert not list(tmp_path.iterdir())


def test_a_generated_api_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    key = load_api_key(settings)
    assert len(key) >= 32
    assert not key.startswith("-")
    assert stat.S_IMODE(settings.admin_key_path.stat().st_mode) == 0o600
    assert load_api_key(settings) == key


def test_tls_needs_a_loadable_certificate(tmp_path: Path) -> None:
    assert tls_context(Settings()) is None
    missing = str(tmp_path / "none.pem")
    with pytest.raises(ValueError, match="cannot load certfile/keyfile"):
        tls_context(Settings(certfile=missing, keyfile=missing))


async def test_assemble_wires_the_hub_the_service_and_the_app() -> None:
    node = assemble(Settings(), MemoryStore(), MemoryBroker(), MemoryPresence(), "k")
    assert node.service.hub is node.hub
    assert node.app[HUB_KEY] is node.hub
    assert node.app[API_KEY_KEY] == "k"
    assert node.hub.auth.api_key == "k"
    assert node.notifier is None  # no webhook configured


async def test_a_configured_webhook_gives_the_node_a_notifier() -> None:
    settings = Settings(
        notify_webhook_url="http://127.0.0.1:9/hook", notify_webhook_secret="0123456789abcdef"
    )
    node = assemble(settings, MemoryStore(), MemoryBroker(), MemoryPresence(), "k")
    assert isinstance(node.notifier, Notifier)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_answers_until_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    settings = Settings(
        host="127.0.0.1", port=port, db="memory://", api_key="k", data_dir=str(tmp_path)
    )
    ready = asyncio.Event()
    running = asyncio.create_task(serve(settings, ready=ready))
    await asyncio.wait_for(ready.wait(), 10)
    assert address.read(settings) == f"http://127.0.0.1:{port}"  # for roomcast broadcast
    async with ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as reply:
        assert reply.status == 200
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(running, 10)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    assert not address.path(settings).exists()
    gc.unfreeze()  # serve froze everything alive for the rest of the process: this is a test


async def test_a_port_in_use_is_a_clear_exit() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(host="127.0.0.1", port=port, db="memory://", api_key="k")
        with pytest.raises(SystemExit, match=f"cannot listen on 127.0.0.1:{port}"):
            await serve(settings)
