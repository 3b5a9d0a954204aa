"""The aiohttp application: every REST resource's routes, health and metrics, the browser client
and the admin page (whose node numbers it starts recording), the security headers on every
answer and the JSON errors under ``/api``.

A WebSocket upgrade (``/ws`` and the tutorial's ``/csp/<namespace>/Chat.Server.cls``) that opens
a connection never reaches it: ``front_door.FrontDoor`` takes it first and hands every other
connection to this app, whose ``upgrades.late_upgrade`` routes take an upgrade sent later on a
kept-alive connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

from roomcast.chat.hub import Hub
from roomcast.chat.node_stats import NodeStats
from roomcast.http import (
    access,
    accounts,
    admin,
    broadcast,
    docs,
    files,
    health,
    me,
    messages,
    moderation,
    rooms,
    search,
    tokens,
    uploads,
)
from roomcast.http.images import Pictures
from roomcast.http.keys import (
    API_KEY_KEY,
    HUB_KEY,
    LOGIN_BUDGET_KEY,
    NODE_STATS_KEY,
    PICTURES_KEY,
    SERVICE_KEY,
    SETTINGS_KEY,
)
from roomcast.http.replies import Handler, api_errors
from roomcast.http.upgrades import late_upgrade
from roomcast.ops.config import Settings
from roomcast.ratelimit import KeyedBuckets, Rate
from roomcast.transport.connection import WebSocketService

WEB_DIR: Final = Path(__file__).parent.parent / "web"
MAX_BODY_BYTES: Final = 256 * 1024

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

# In registration order: aiohttp tries the resources in this order.
ROUTES: Final = (
    health.ROUTES
    + rooms.ROUTES
    + messages.ROUTES
    + search.ROUTES
    + broadcast.ROUTES
    + docs.ROUTES
    + accounts.ROUTES
    + me.ROUTES
    + tokens.ROUTES
    + access.ROUTES
    + moderation.ROUTES
    + uploads.ROUTES
    + files.ROUTES
    + admin.ROUTES
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / "index.html")


async def _start(node_stats: NodeStats) -> None:
    node_stats.start()


def build_app(
    settings: Settings, hub: Hub, service: WebSocketService, api_key: str
) -> web.Application:
    """The aiohttp application for ``hub``: REST API, health, metrics and the web client."""
    app = web.Application(
        middlewares=[security_headers, api_errors], client_max_size=MAX_BODY_BYTES
    )
    app[HUB_KEY] = hub
    app[SETTINGS_KEY] = settings
    app[SERVICE_KEY] = service
    app[API_KEY_KEY] = api_key
    app[LOGIN_BUDGET_KEY] = KeyedBuckets(Rate.parse(settings.rate_logins))
    app[PICTURES_KEY] = Pictures()
    node_stats = app[NODE_STATS_KEY] = NodeStats(
        hub, lambda: len(service.connections), hub.moderation.clock
    )
    app.on_startup.append(lambda _: _start(node_stats))
    app.on_cleanup.append(lambda _: node_stats.stop())
    app.add_routes(ROUTES)
    app.router.add_get("/", index)
    app.router.add_get("/admin", admin.page)
    app.router.add_route("*", "/ws", late_upgrade)
    app.router.add_route("*", "/csp/{namespace}/Chat.Server.cls", late_upgrade)
    app.router.add_static("/static/", WEB_DIR, follow_symlinks=False)
    return app
