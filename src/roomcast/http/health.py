"""``/healthz`` (the process answers), ``/readyz`` (the store and the broker are reachable) and
``/metrics`` (Prometheus text of this node's counters, histograms and gauges).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from roomcast import __version__
from roomcast.http import bodies
from roomcast.http.keys import HUB_KEY, SERVICE_KEY
from roomcast.http.replies import json_error, reply
from roomcast.ops import metrics
from roomcast.wire import protocol


async def healthz(request: web.Request) -> web.Response:
    return reply(bodies.Health("ok", __version__))


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
    return reply(bodies.Ready("ready"))


async def metrics_text(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    text = metrics.render(
        hub.metrics,
        connections=len(request.app[SERVICE_KEY].connections),
        rooms=hub.local_rooms(),
    )
    return web.Response(body=text.encode(), headers={"Content-Type": metrics.CONTENT_TYPE})


ROUTES = [
    web.get("/healthz", healthz),
    web.get("/readyz", readyz),
    web.get("/metrics", metrics_text),
]
