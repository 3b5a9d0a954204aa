"""The HTTP front door: the only module that knows aiohttp.

Every TCP connection starts in a ``FrontDoor``, which reads the head of the first request. An
upgrade to ``/ws`` (or to the tutorial's ``/csp/<app>/Chat.Server.cls``) is checked (origin,
connection limits, handshake) and answered here, and the socket goes to
``connection.WebSocketService``, roomcast's own WebSocket layer. Every other connection is handed,
with the bytes read so far, to aiohttp, which serves the REST API, health, metrics and the browser
client. A connection that does not finish its request head within ``header_timeout`` is cut.
"""

from __future__ import annotations

import asyncio
import gc
import http
import logging
import re
import secrets
import signal
import ssl
from pathlib import Path
from typing import Any, Final, cast

import orjson
from aiohttp import web

from roomcast import __version__
from roomcast.auth import SESSION_COOKIE
from roomcast.broker import open_broker
from roomcast.chat.hub import Hub
from roomcast.http.api import api_error_middleware, api_routes, json_error
from roomcast.http.api_access import access_routes
from roomcast.ops import metrics as metrics_module
from roomcast.ops.config import Settings
from roomcast.presence import open_presence
from roomcast.store import open_store
from roomcast.transport.admission import origin_allowed, parse_origins
from roomcast.transport.connection import Outbox, WebSocketService
from roomcast.wire import http1, protocol
from roomcast.wire.http1 import BadRequest, Request

log = logging.getLogger(__name__)

WEB_DIR: Final = Path(__file__).parent.parent / "web"
HUB_KEY: Final = web.AppKey("hub", Hub)
SETTINGS_KEY: Final = web.AppKey("settings", Settings)
SERVICE_KEY: Final = web.AppKey("websockets", WebSocketService)
API_KEY_KEY: Final = web.AppKey("api_key", str)

_WEBSOCKET_PATH: Final = re.compile(r"/ws|/csp/[^/]+/Chat\.Server\.cls")

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


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
        if _WEBSOCKET_PATH.fullmatch(request.path):
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
        body = orjson.dumps({"error": {"code": code, "message": message}})
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


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    if not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / "index.html")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    if hub.closing:
        return json_error(503, "shutting_down", "the server is shutting down")
    if not hub.broker.healthy:
        return json_error(503, "broker_unavailable", "the broker connection is down")
    try:
        await asyncio.wait_for(hub.store.last_id(protocol.DEFAULT_ROOM), timeout=2.0)
    except Exception as exc:
        return json_error(503, "store_unavailable", f"the message store is not reachable: {exc}")
    return web.json_response({"status": "ready"})


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus text exposition of this node's counters, histograms and gauges."""
    hub = request.app[HUB_KEY]
    text = metrics_module.render(
        hub.metrics,
        connections=len(request.app[SERVICE_KEY].connections),
        rooms=hub.local_rooms(),
    )
    return web.Response(body=text.encode(), headers={"Content-Type": metrics_module.CONTENT_TYPE})


def load_api_key(settings: Settings) -> str:
    """The configured API key, or one generated once and kept in the data directory."""
    if settings.api_key:
        return settings.api_key
    path = settings.admin_key_path
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):  # a key that looks like a flag would confuse command lines
        key = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key


def build_app(settings: Settings, hub: Hub, service: WebSocketService) -> web.Application:
    """The aiohttp application for ``hub``: REST API, health, metrics and the web client."""
    app = web.Application(
        middlewares=[security_headers, api_error_middleware(HUB_KEY)], client_max_size=256 * 1024
    )
    app[HUB_KEY] = hub
    app[SETTINGS_KEY] = settings
    app[SERVICE_KEY] = service
    app[API_KEY_KEY] = load_api_key(settings)
    hub.auth.api_key = app[API_KEY_KEY]
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.add_routes(api_routes(HUB_KEY, API_KEY_KEY))
    app.add_routes(access_routes(HUB_KEY, SERVICE_KEY))
    app.router.add_get("/", index)
    app.router.add_static("/static/", WEB_DIR, follow_symlinks=False)
    return app


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for https and wss, when a certificate is configured."""
    if not settings.certfile:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.certfile, settings.keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load certfile/keyfile: {exc}") from None
    return context


def install_uvloop() -> None:
    """Use uvloop when it is installed (it is a dependency on every platform it supports)."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run a server until SIGTERM or SIGINT, then shut down gracefully."""
    ssl_context = tls_context(settings)
    store = open_store(settings.db, synchronous=settings.sqlite_synchronous)
    broker = open_broker(settings.broker, prefix=settings.redis_prefix)
    presence = open_presence(
        settings.broker, prefix=settings.redis_prefix, ttl=settings.presence_ttl
    )
    loop = asyncio.get_running_loop()
    counts = metrics_module.Metrics()
    outbox = Outbox(loop, counts.fanout_seconds)
    hub = Hub(settings, store, broker, presence, fanout=outbox.room, metrics=counts)
    await hub.start()
    service = WebSocketService(hub, settings, outbox)
    runner = web.AppRunner(
        build_app(settings, hub, service),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=settings.shutdown_timeout,
        # An HTTP connection must send each request head within this time (slowloris).
        keepalive_timeout=settings.header_timeout,
    )
    await runner.setup()
    origins = parse_origins(settings.allowed_origins)
    http_server = runner.server
    assert http_server is not None
    try:
        listener = await loop.create_server(
            lambda: FrontDoor(service, http_server, origins),
            settings.host,
            settings.port,
            ssl=ssl_context,
            backlog=1024,
            reuse_port=settings.workers > 1,  # --workers: the kernel spreads connections
        )
    except OSError as exc:
        await runner.cleanup()
        await hub.stop()
        raise SystemExit(
            f"roomcast: cannot listen on {settings.host}:{settings.port}: {exc}"
        ) from None
    service.start()
    # Everything built so far (modules, the app, the hub) lives as long as the process: move it
    # out of the garbage collector's sight, so a full collection does not walk it again each
    # time (about 44,000 objects: 7 ms of pause per full collection, 0 after the freeze).
    gc.collect()
    gc.freeze()
    log.info(
        "roomcast %s serving on %s://%s:%d (db %s, broker %s)",
        __version__,
        "https" if ssl_context else "http",
        settings.host,
        settings.port,
        settings.db,
        settings.broker,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    await stop.wait()
    log.info("shutting down")
    hub.closing = True
    listener.close()
    await service.close_all(
        protocol.CLOSE_GOING_AWAY, "server shutting down", settings.shutdown_timeout
    )
    await hub.stop()
    await runner.cleanup()
    log.info("stopped")
