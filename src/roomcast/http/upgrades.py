"""WebSocket upgrades, wherever they come on a connection: one set of checks, two doors.

``upgrade`` checks an upgrade request (shutdown, origin, handshake, guests, connection limits)
and hands the socket and its ``101`` answer to ``WebSocketService``; it answers a ``Refusal``
instead when one check fails. ``front_door.FrontDoor`` calls it for an upgrade that is a
connection's first request. ``late_upgrade`` is the aiohttp route for the same paths: an upgrade
sent on a kept-alive connection after plain HTTP requests (a reverse proxy's pooled upstream
connection) reaches aiohttp, which lets go of the socket here, unanswered and open, with the
bytes it had already read after the request head.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import cast

import msgspec
from aiohttp import web
from aiohttp.http_websocket import WebSocketReader

from roomcast.auth import SESSION_COOKIE
from roomcast.http.bodies import Error, ErrorDetail
from roomcast.http.keys import SERVICE_KEY, SETTINGS_KEY
from roomcast.record import record
from roomcast.transport.admission import origin_allowed, parse_origins
from roomcast.transport.connection import WebSocketService
from roomcast.transport.send_buffer import WEBSOCKET_SEND_BUFFER, set_send_buffer
from roomcast.wire import http1
from roomcast.wire.http1 import BadRequest, Request

log = logging.getLogger(__name__)


@record
class Refusal:
    """Why an upgrade was refused: the HTTP status and the JSON error's code and message."""

    status: int
    code: str
    message: str

    def body(self) -> bytes:
        return msgspec.json.encode(Error(ErrorDetail(self.code, self.message)))


def upgrade(
    service: WebSocketService,
    origins: frozenset[str],
    request: Request,
    transport: asyncio.Transport,
    leftover: bytes,
) -> Refusal | None:
    """Check ``request``; if it passes, give ``transport`` and the ``101`` answer to ``service``
    (``leftover``: bytes already read after the request head). Otherwise the refusal to send."""
    if service.hub.closing:
        return Refusal(503, "shutting_down", "the server is shutting down")
    if not origin_allowed(request.headers.get("origin"), request.headers.get("host"), origins):
        return Refusal(403, "origin_not_allowed", "this page's origin may not open WebSockets here")
    try:
        response = http1.accept(request)
    except BadRequest as exc:
        return Refusal(exc.status, exc.code, exc.message)
    if not service.settings.allow_guests and not _presents_credentials(request):
        return Refusal(401, "login_required", "this server admits only signed-in users")
    peer = transport.get_extra_info("peername")
    # Interned: the clients of one address share one string (58 bytes per connection).
    remote = sys.intern(str(peer[0])) if peer else "?"
    refusal = service.limits.admit(remote)
    if refusal is not None:
        log.warning("connection from %s refused: %s", remote, refusal)
        return Refusal(503, "too_many_connections", refusal)
    service.open(transport, request, remote, leftover, response)
    return None


class _Tail:
    """Takes the place of aiohttp's WebSocket reader to collect the bytes it buffered."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.data += data
        return False, b""

    def feed_eof(self) -> None:
        pass


async def late_upgrade(request: web.Request) -> web.StreamResponse:
    """An upgrade that aiohttp received: checked as the front door checks a first request."""
    protocol, transport = request.protocol, request.transport
    if transport is None:  # the client is gone already; aiohttp's answer finds no socket
        return web.Response(status=499)
    service = request.app[SERVICE_KEY]
    origins = parse_origins(request.app[SETTINGS_KEY].allowed_origins)
    head = Request(
        request.method,
        request.raw_path,
        {name.lower(): value for name, value in request.headers.items()},
    )
    # aiohttp keeps what followed an upgrade's head (a first frame in the same packet) for the
    # WebSocket reader it would set; a stand-in reader takes it.
    tail = _Tail()
    if request.headers.get("upgrade", "").lower() == "websocket":
        protocol.set_parser(cast(WebSocketReader, tail))
    # The front door gave this HTTP connection the large send buffer: a WebSocket's is small.
    set_send_buffer(transport, WEBSOCKET_SEND_BUFFER)
    refusal = upgrade(service, origins, head, transport, tail.data)
    if refusal is not None:
        response = web.Response(
            status=refusal.status, body=refusal.body(), content_type="application/json"
        )
        response.force_close()
        return response
    # The socket is the WebSocket's now: aiohttp's handler must neither answer nor close it.
    # Without a transport its response's write fails as a vanished client's would, and
    # ``connection_lost`` drops the handler from the server's connections and stops its timers.
    protocol.transport = None
    protocol.connection_lost(None)
    return web.Response(status=101)


def _presents_credentials(request: Request) -> bool:
    """Whether an upgrade carries a session cookie, a token or an Authorization header."""
    headers = request.headers
    return bool(
        request.query.get("token")
        or headers.get("authorization")
        or SESSION_COOKIE in headers.get("cookie", "")
    )
