"""The first protocol of every TCP connection: WebSocket upgrades here, everything else to aiohttp.

A ``FrontDoor`` reads the head of the first request. An upgrade to ``/ws`` (or to the tutorial's
``/csp/<app>/Chat.Server.cls``) is checked (origin, connection limits, handshake) and answered
here, and the socket goes to ``transport.connection.WebSocketService``, roomcast's own WebSocket
layer. Every other connection is handed, with the bytes read so far, to the aiohttp server of
``app.build_app``. A connection that does not finish its request head within ``header_timeout``
is cut.
"""

from __future__ import annotations

import asyncio
import http
import logging
import re
from typing import Final, cast

import msgspec
from aiohttp import web

from roomcast.auth import SESSION_COOKIE
from roomcast.http.bodies import Error, ErrorDetail
from roomcast.transport.admission import origin_allowed
from roomcast.transport.connection import WebSocketService
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
            handler = self._http()
            self._transport.set_protocol(handler)
            handler.connection_made(self._transport)
            handler.data_received(bytes(buffer))
        buffer.clear()

    def _upgrade(self, request: Request, leftover: bytes) -> None:
        service, transport = self._service, self._transport
        assert transport is not None
        if service.hub.closing:
            self._refuse(503, "shutting_down", "the server is shutting down")
            return
        if not origin_allowed(
            request.headers.get("origin"), request.headers.get("host"), self._origins
        ):
            self._refuse(
                403, "origin_not_allowed", "this page's origin may not open WebSockets here"
            )
            return
        try:
            response = http1.accept(request)
        except BadRequest as exc:
            self._refuse(exc.status, exc.code, exc.message)
            return
        if not service.settings.allow_guests and not _presents_credentials(request):
            self._refuse(401, "login_required", "this server admits only signed-in users")
            return
        peer = transport.get_extra_info("peername")
        remote = str(peer[0]) if peer else "?"
        refusal = service.limits.admit(remote)
        if refusal is not None:
            log.warning("connection from %s refused: %s", remote, refusal)
            self._refuse(503, "too_many_connections", refusal)
            return
        transport.write(response)
        service.open(transport, request, remote, leftover)

    def _refuse(self, status: int, code: str, message: str) -> None:
        assert self._transport is not None
        if self._timer is not None:
            self._timer.cancel()
        body = msgspec.json.encode(Error(ErrorDetail(code, message)))
        phrase = http.HTTPStatus(status).phrase
        self._transport.write(http1.http_response(status, phrase, body, "application/json"))
        self._transport.close()


def _presents_credentials(request: Request) -> bool:
    """Whether an upgrade carries a session cookie, a token or an Authorization header."""
    headers = request.headers
    return bool(
        request.query.get("token")
        or headers.get("authorization")
        or SESSION_COOKIE in headers.get("cookie", "")
    )
