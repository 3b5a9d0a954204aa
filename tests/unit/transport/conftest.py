"""The server the connection tests talk to: a real ``Hub`` on the memory store, broker and
presence, wired to a real ``WebSocketService`` and its ``FrontDoor`` by ``ops.serve.assemble``, as
``roomcast serve`` wires them.

This fixture is the one place that knows how the server is put together: when its construction
changes, it is the one place to follow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from fake_socket import Server
from roomcast.broker.memory import MemoryBroker
from roomcast.http.front_door import FrontDoor
from roomcast.ops.config import Settings
from roomcast.ops.serve import assemble
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore
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

    node = assemble(settings, MemoryStore(), MemoryBroker(), MemoryPresence(), "test-api-key")
    hub, service = node.hub, node.service
    await hub.start()
    http_server = web.Server(no_http)
    yield Server(hub, service, lambda: FrontDoor(service, http_server, frozenset()))
    hub.closing = True
    await service.close_all(protocol.CLOSE_GOING_AWAY, "server shutting down", 0)
    await hub.stop()
