"""Liveness, readiness and the Prometheus metrics of a node."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast import __version__
from roomcast.ops.serve import Node


async def test_health_and_readiness(client: TestClient[Any, Any], node: Node) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok", "version": __version__}
    ready = {"ready": True, "status": "ready", "store": "ok", "broker": "none", "presence": "none"}
    assert await (await client.get("/readyz")).json() == ready
    node.hub.closing = True
    answer = await client.get("/readyz")
    assert answer.status == 503
    assert await answer.json() == ready | {"ready": False, "status": "shutting_down"}


async def test_a_broker_that_is_down_leaves_the_node_ready_but_degraded(
    client: TestClient[Any, Any], node: Node
) -> None:
    await node.hub.broker.stop()
    answer = await client.get("/readyz")
    assert answer.status == 200
    assert await answer.json() == {
        "ready": True,
        "status": "degraded",
        "store": "ok",
        "broker": "down",
        "presence": "none",
    }


async def test_metrics_count_api_errors(client: TestClient[Any, Any]) -> None:
    await client.get("/api/nothing")
    reply = await client.get("/metrics")
    assert reply.headers["Content-Type"].startswith("text/plain")
    text = await reply.text()
    assert 'roomcast_http_errors_total{status="404"} 1' in text
