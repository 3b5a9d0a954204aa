"""The first protocol of every TCP connection: WebSocket upgrades here, everything else to aiohttp.

A ``FrontDoor`` reads the head of the first request. An upgrade to ``/ws`` (or to the tutorial's
``/csp/<app>/Chat.Server.cls``) is checked and answered here by ``upgrades.upgrade``, and the
socket goes to ``transport.connection.WebSocketService``, roomcast's own WebSocket layer. Every
other connection is handed, with the bytes read so far, to the aiohttp server of
``app.build_app`` (whose ``upgrades.late_upgrade`` route takes an upgrade sent later on
it). A connection that does not finish its request head within ``header_timeout`` is cut.
"""

from __future__ import annotations

import asyncio
import http
import logging
import re
from typing import Final, cast

from aiohttp import web

from roomcast.http.upgrades import Refusal, upgrade
from roomcast.transport.connection import WebSocketService
from roomcast.transport.send_buffer import HTTP_SEND_BUFFER, set_send_buffer
from roomcast.wire import http1
from roomcast.wire.http1 import BadRequest, Request

log = logging.getLogger(__name__)

WEBSOCKET_PATH: Final = re.compile(r"/ws|/csp/[^/]+/Chat\.Server\.cls")


class FrontDoor(asyncio.Protocol):
    """The first protocol of every connection: WebSocket upgrades here, the rest to aiohttp."""

    __slots__ = ("_buffer", "_http", "_origins", "_service", "_timer", "_transport")

    def __init__(
        self, service: WebSocketService, http_server: web.Server, origins: frozenset[str]
    ) -> None:
        self._service = service
        self._http = http_server
        self._origins = origins
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._timer = asyncio.get_running_loop().call_later(
            self._service.settings.header_timeout, self._transport.abort
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        end = http1.find_head_end(buffer)
        if end < 0:
            if len(buffer) > http1.MAX_HEAD_BYTES:
                self._refuse(431, "headers_too_large", "the request head is too large")
            return
        assert self._timer is not None
        assert self._transport is not None
        self._timer.cancel()
        try:
            request = http1.parse_request(bytes(buffer[:end]))
        except BadRequest as exc:
            self._refuse(exc.status, exc.code, exc.message)
            return
        if WEBSOCKET_PATH.fullmatch(request.path):
            self._upgrade(request, bytes(buffer[end:]))
        else:
            set_send_buffer(self._transport, HTTP_SEND_BUFFER)  # a download may be large
            handler = self._http()
            self._transport.set_protocol(handler)
            handler.connection_made(self._transport)
            handler.data_received(bytes(buffer))
        buffer.clear()

    def _upgrade(self, request: Request, leftover: bytes) -> None:
        assert self._transport is not None
        refusal = upgrade(self._service, self._origins, request, self._transport, leftover)
        if refusal is not None:
            self._refuse(refusal.status, refusal.code, refusal.message)

    def _refuse(self, status: int, code: str, message: str) -> None:
        assert self._transport is not None
        if self._timer is not None:
            self._timer.cancel()
        body = Refusal(status, code, message).body()
        phrase = http.HTTPStatus(status).phrase
        self._transport.write(http1.http_response(status, phrase, body, "application/json"))
        self._transport.close()
