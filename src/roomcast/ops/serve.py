"""``roomcast serve``: opens the store, the broker and presence, builds the hub and its
collaborators (the one place they are assembled) and, with a webhook configured, the notifier
that POSTs notifications to it; runs the listening site until SIGTERM or
SIGINT, and stops gracefully: new connections refused, WebSockets closed with 1012 and a retry
hint, the hub's writes flushed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import signal
import ssl
from dataclasses import dataclass

from aiohttp import web

from roomcast import __version__
from roomcast.broker import Broker, open_broker
from roomcast.chat.hub import Hub
from roomcast.chat.notifier import Notifier
from roomcast.clock import SystemClock
from roomcast.http.app import build_app
from roomcast.http.front_door import FrontDoor
from roomcast.http.webhook import WebhookClient
from roomcast.ops import address, metrics
from roomcast.ops.config import Settings
from roomcast.ops.loop_lag import LoopLagSampler
from roomcast.ops.wiring import build_hub
from roomcast.presence import Presence, open_presence
from roomcast.store import Store, open_store
from roomcast.transport.admission import parse_origins
from roomcast.transport.connection import Outbox, WebSocketService
from roomcast.transport.send_buffer import listen_with_websocket_buffers
from roomcast.wire import confusables, protocol
from roomcast.wire.restart_hint import restart_reason

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class Node:
    """One server's parts: the hub, its WebSocket service, the aiohttp application, and the
    notifier when a webhook is configured."""

    hub: Hub
    service: WebSocketService
    app: web.Application
    notifier: Notifier | None


def assemble(
    settings: Settings, store: Store, broker: Broker, presence: Presence, api_key: str
) -> Node:
    """Build the hub and everything around it (not yet started) in the running loop."""
    counts = metrics.Metrics()
    clock = SystemClock()
    outbox = Outbox(asyncio.get_running_loop(), counts.fanout_seconds)
    hub = build_hub(
        settings, store, broker, presence, fanout=outbox.room, metrics=counts, clock=clock
    )
    hub.auth.api_key = api_key
    service = WebSocketService(hub, settings, outbox)
    notifier = None
    if settings.notify_webhook_url:
        notifier = Notifier(settings, store, WebhookClient(), counts, clock)
    return Node(hub, service, build_app(settings, hub, service, api_key), notifier)


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run a server until SIGTERM or SIGINT, then shut down gracefully."""
    ssl_context = tls_context(settings)
    node = assemble(
        settings,
        open_store(
            settings.db,
            synchronous=settings.sqlite_synchronous,
            search_index=settings.search_index,
            timeout=settings.store_timeout,
            queue_bytes=settings.store_queue_bytes,
        ),
        open_broker(
            settings.broker,
            prefix=settings.redis_prefix,
            timeout=settings.broker_timeout,
            queue_bytes=settings.broker_queue_bytes,
        ),
        open_presence(
            settings.broker,
            prefix=settings.redis_prefix,
            ttl=settings.presence_ttl,
            timeout=settings.broker_timeout,
        ),
        load_api_key(settings),
    )
    hub, service = node.hub, node.service
    await hub.start()
    confusables.preload()
    runner = web.AppRunner(
        node.app,
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
    loop = asyncio.get_running_loop()
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
    listen_with_websocket_buffers(listener.sockets)
    address.write(settings, listener.sockets[0], tls=ssl_context is not None)
    service.start()
    hub.files.start()
    lag = LoopLagSampler(hub.metrics.event_loop_lag_seconds)
    lag.start()
    if node.notifier is not None:
        node.notifier.start()
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
    address.remove(settings)
    spread_ms = round(settings.restart_spread * 1000)
    await service.close_all(
        protocol.CLOSE_SERVICE_RESTART,
        lambda: restart_reason(spread_ms),
        settings.shutdown_timeout,
    )
    if node.notifier is not None:
        await node.notifier.stop(settings.shutdown_timeout)
    await hub.files.stop()
    await lag.stop()
    await hub.stop()
    await runner.cleanup()
    log.info("stopped")
