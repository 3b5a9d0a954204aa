"""The server the connection tests talk to: a real ``Hub`` on the memory store, broker and
presence, wired to a real ``WebSocketService`` and its ``FrontDoor`` the way ``roomcast serve``
wires them.

This fixture is the one place that knows how the server is put together: when its construction
changes, it is the one place to follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from fake_socket import Server
from roomcast.broker.memory import MemoryBroker
from roomcast.chat.hub import Hub
from roomcast.http.server import FrontDoor
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore
from roomcast.transport.connection import Outbox, WebSocketService
from roomcast.wire import protocol


@pytest.fixture
def settings() -> Settings:
    """The server's settings; a test changes them with ``parametrize("settings", [...])``."""
    return Settings(userlist_interval=0.0)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    """A hub on the memory store, broker and presence, wired to a WebSocket service the way
    ``roomcast serve`` wires them, stopped at the end of the test."""

    async def no_http(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=404)

    metrics = Metrics()
    outbox = Outbox(asyncio.get_running_loop(), metrics.fanout_seconds)
    hub = Hub(
        settings,
        MemoryStore(),
        MemoryBroker(),
        MemoryPresence(),
        fanout=outbox.room,
        metrics=metrics,
    )
    await hub.start()
    service = WebSocketService(hub, settings, outbox)
    http_server = web.Server(no_http)
    yield Server(hub, service, lambda: FrontDoor(service, http_server, frozenset()))
    hub.closing = True
    await service.close_all(protocol.CLOSE_GOING_AWAY, "server shutting down", 0)
    await hub.stop()
