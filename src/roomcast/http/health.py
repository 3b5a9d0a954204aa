"""``/healthz`` (the process answers), ``/readyz`` (can this node take and serve connections,
with each dependency's state) and ``/metrics`` (Prometheus text of this node's counters,
histograms and gauges).
"""

from __future__ import annotations

import asyncio
from typing import Final, Literal

from aiohttp import web

from roomcast import __version__
from roomcast.http import bodies
from roomcast.http.keys import HUB_KEY, SERVICE_KEY
from roomcast.http.replies import reply
from roomcast.ops import metrics
from roomcast.store import Store
from roomcast.store.base import take_outcome
from roomcast.wire import protocol

# How long the store gets to answer readiness's probe (one indexed read) before it counts as down.
STORE_PROBE_TIMEOUT: Final = 2.0


async def healthz(request: web.Request) -> web.Response:
    return reply(bodies.Health("ok", __version__))


async def readyz(request: web.Request) -> web.Response:
    """Can this node take new connections and serve them? 200 when it can (``degraded`` while
    the broker or the presence is down: it still stores, delivers to its own members and catches
    up from the store), 503 when the store does not answer or the node is shutting down.
    """
    hub = request.app[HUB_KEY]
    store: Literal["ok", "down"] = "ok" if await _store_answers(hub.store) else "down"
    broker, presence = hub.broker.state, hub.presence.state
    ready = store == "ok" and not hub.closing
    status: Literal["ready", "degraded", "not_ready", "shutting_down"]
    if hub.closing:
        status = "shutting_down"
    elif not ready:
        status = "not_ready"
    elif broker in ("ok", "none") and presence in ("ok", "none"):
        status = "ready"
    else:
        status = "degraded"
    body = bodies.Ready(ready, status, store, broker, presence)
    return reply(body, 200 if ready else 503)


async def _store_answers(store: Store) -> bool:
    """Whether one indexed read answers within ``STORE_PROBE_TIMEOUT``. A read that does not is
    left to end on its own: cancelling it would wait on the hung server too."""
    probe = asyncio.ensure_future(store.last_id(protocol.DEFAULT_ROOM))
    probe.add_done_callback(take_outcome)
    done, _ = await asyncio.wait([probe], timeout=STORE_PROBE_TIMEOUT)
    return bool(done) and not probe.cancelled() and probe.exception() is None


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
