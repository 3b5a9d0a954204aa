"""The HTTP and WebSocket front door: the only module that knows aiohttp.

It upgrades ``/ws`` (and the tutorial's ``/csp/<app>/Chat.Server.cls``) to WebSocket, turns
text frames into commands for the hub, serves the browser client and mounts the REST API.

Outgoing frames skip aiohttp's per-message writer: the hub hands each connection pre-built frame
bytes, a connection queues them, and once per event-loop iteration every connection that got
something writes it to its transport in one call. A connection whose transport buffer passes the
high-water mark is a slow consumer and is dropped with close code 1013, so one stalled reader
costs bounded memory and no one else's latency.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import struct
from pathlib import Path
from typing import Any, Final

from aiohttp import WSMsgType, web

from roomcast import __version__, protocol
from roomcast.api import api_routes, json_error
from roomcast.broker import open_broker
from roomcast.config import Settings
from roomcast.hub import Hub
from roomcast.presence import open_presence
from roomcast.protocol import ErrorCode, ProtocolError
from roomcast.store import StoreUnavailable, open_store

log = logging.getLogger(__name__)

WEB_DIR: Final = Path(__file__).parent / "web"
HUB_KEY: Final = web.AppKey("hub", Hub)
SETTINGS_KEY: Final = web.AppKey("settings", Settings)
CONNECTIONS_KEY: Final = web.AppKey("connections", dict[str, "Connection"])
API_KEY_KEY: Final = web.AppKey("api_key", str)

_CLOSE_REASONS: Final = {
    protocol.CLOSE_PROTOCOL_ERROR: "WebSocket protocol error",
    protocol.CLOSE_UNSUPPORTED_DATA: "binary frames are not accepted; send JSON text",
    1007: "text frame is not valid UTF-8",
    protocol.CLOSE_MESSAGE_TOO_BIG: "frame too large",
}
# Evicted slow consumers get this long to take their close frame before the socket is cut.
_EVICTION_GRACE: Final = 5.0

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


def close_frame(code: int, reason: str) -> bytes:
    """A complete server close frame (unmasked), reason cut to fit 123 bytes."""
    payload = struct.pack("!H", code) + reason.encode()[:123]
    return bytes((0x88, len(payload))) + payload


class _WebSocket(web.WebSocketResponse):
    """aiohttp's WebSocket response, closing with a human reason where aiohttp gives none."""

    async def close(self, *, code: int = 1000, message: bytes = b"", drain: bool = True) -> bool:
        if not message and code in _CLOSE_REASONS:
            message = _CLOSE_REASONS[code].encode()
        return await super().close(code=code, message=message, drain=drain)


class Outbox:
    """Coalesces what every connection gets in one loop iteration into one write each."""

    __slots__ = ("_dirty", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._dirty: list[Connection] = []

    def mark(self, connection: Connection) -> None:
        if not self._dirty:
            self._loop.call_soon(self._flush)
        self._dirty.append(connection)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for connection in dirty:
            connection.flush()


class Connection:
    """A ``Peer`` over one aiohttp WebSocket, writing pre-framed bytes straight to its transport."""

    __slots__ = (
        "_chunks",
        "_high_water",
        "_outbox",
        "_tasks",
        "_transport",
        "_ws",
        "closed",
        "remote",
        "wsid",
    )

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        outbox: Outbox,
        high_water: int,
        remote: str,
    ) -> None:
        self.wsid = secrets.token_hex(8)
        self.remote = remote
        self.closed = False
        self._ws = ws
        self._transport = transport
        self._outbox = outbox
        self._high_water = high_water
        self._chunks: list[bytes] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def send(self, frame: bytes) -> None:
        if self.closed:
            return
        if not self._chunks:
            self._outbox.mark(self)
        self._chunks.append(frame)

    def flush(self) -> None:
        chunks = self._chunks
        if self.closed or not chunks:
            chunks.clear()
            return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        transport = self._transport
        if transport.is_closing():
            self.closed = True
            return
        transport.write(data)
        if transport.get_write_buffer_size() > self._high_water:
            self._evict()

    def _evict(self) -> None:
        """Drop a client that does not read: close frame 1013, then cut the socket."""
        log.warning("connection %s dropped: slow consumer", self.wsid)
        self.closed = True
        transport = self._transport
        transport.write(close_frame(protocol.CLOSE_TRY_AGAIN_LATER, "slow consumer: output full"))
        transport.close()
        asyncio.get_running_loop().call_later(_EVICTION_GRACE, transport.abort)

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.flush()
        self.closed = True
        task = asyncio.get_running_loop().create_task(
            self._ws.close(code=code, message=reason.encode()[:123])
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


OUTBOX_KEY: Final = web.AppKey("outbox", Outbox)


def _since_param(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ProtocolError(ErrorCode.BAD_FIELD, "since must be a non-negative integer")
    return int(raw)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    """Upgrade to WebSocket and serve one client until it goes."""
    app = request.app
    hub, settings = app[HUB_KEY], app[SETTINGS_KEY]
    if hub.closing:
        return json_error(503, "shutting_down", "the server is shutting down")
    ws = _WebSocket(
        heartbeat=settings.ping_interval,
        max_msg_size=settings.max_frame_bytes,
        compress=False,
        timeout=5.0,
    )
    await ws.prepare(request)
    transport = request.transport
    assert transport is not None
    outbox = app[OUTBOX_KEY]
    connection = Connection(
        ws, transport, outbox, settings.write_buffer_high_water, request.remote or "?"
    )
    connections = app[CONNECTIONS_KEY]
    query = request.query
    try:
        since = _since_param(query.get("since"))
    except ProtocolError as exc:
        hub.send_error(connection, exc)
        since = None
    userlist_form = query.get("userlist", "full")
    if userlist_form not in ("full", "diff"):
        hub.send_error(
            connection, ProtocolError(ErrorCode.BAD_FIELD, "userlist must be full or diff")
        )
    try:
        member = await hub.connect(
            connection,
            room=query.get("room"),
            nick=query.get("nick"),
            since=since,
            session=query.get("session"),
            userlist_diffs=userlist_form == "diff",
        )
    except ProtocolError as exc:
        hub.send_error(connection, exc)
        connection.close(protocol.CLOSE_POLICY_VIOLATION, exc.message)
        await ws.receive()
        return ws
    except StoreUnavailable as exc:
        hub.send_error(connection, ProtocolError(ErrorCode.STORE_UNAVAILABLE, str(exc)))
        connection.close(protocol.CLOSE_TRY_AGAIN_LATER, "message store unavailable")
        await ws.receive()
        return ws
    connections[connection.wsid] = connection
    log.info("connection %s open from %s as %s", connection.wsid, connection.remote, member.nick)
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                try:
                    command = protocol.parse(message.data, settings.max_text_chars)
                except ProtocolError as exc:
                    log.info("connection %s error %s", connection.wsid, exc.code)
                    hub.send_error(connection, exc)
                    continue
                try:
                    await hub.handle(member, command)
                except Exception:
                    log.exception("connection %s: command failed", connection.wsid)
                    hub.send_error(
                        connection,
                        ProtocolError(ErrorCode.INTERNAL, "internal error", command.ref),
                    )
            elif message.type is WSMsgType.BINARY:
                connection.flush()
                connection.closed = True
                await ws.close(code=protocol.CLOSE_UNSUPPORTED_DATA)
                break
    finally:
        connection.flush()
        connection.closed = True
        connections.pop(connection.wsid, None)
        await hub.disconnect(member)
        log.info("connection %s closed (code %s)", connection.wsid, ws.close_code)
    return ws


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


def load_api_key(settings: Settings) -> str:
    """The configured API key, or one generated once and kept in the data directory."""
    if settings.api_key:
        return settings.api_key
    path = settings.admin_key_path
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key


def build_app(settings: Settings, hub: Hub) -> web.Application:
    """The aiohttp application for ``hub``: WebSocket, REST API, health and the web client."""
    app = web.Application(middlewares=[security_headers], client_max_size=256 * 1024)
    app[HUB_KEY] = hub
    app[SETTINGS_KEY] = settings
    app[CONNECTIONS_KEY] = {}
    app[API_KEY_KEY] = load_api_key(settings)
    app[OUTBOX_KEY] = Outbox(asyncio.get_event_loop())
    app.router.add_get("/ws", websocket_handler)
    app.router.add_get("/csp/{namespace}/Chat.Server.cls", websocket_handler)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.add_routes(api_routes(HUB_KEY, API_KEY_KEY))
    app.router.add_get("/", index)
    app.router.add_static("/static/", WEB_DIR, follow_symlinks=False)
    return app


def install_uvloop() -> None:
    """Use uvloop when it is installed (it is a dependency on every platform it supports)."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run a server until SIGTERM or SIGINT, then shut down gracefully."""
    store = open_store(settings.db, synchronous=settings.sqlite_synchronous)
    hub = Hub(settings, store, open_broker(settings.broker), open_presence(settings.broker))
    await hub.start()
    app = build_app(settings, hub)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=settings.shutdown_timeout
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=1024)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        await hub.stop()
        raise SystemExit(
            f"roomcast: cannot listen on {settings.host}:{settings.port}: {exc}"
        ) from None
    log.info(
        "roomcast %s serving on http://%s:%d (db %s, broker %s)",
        __version__,
        settings.host,
        settings.port,
        settings.db,
        settings.broker,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    await stop.wait()
    log.info("shutting down")
    await hub.stop()
    await runner.cleanup()
    log.info("stopped")
