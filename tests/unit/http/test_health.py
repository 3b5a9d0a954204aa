"""Liveness, readiness and the Prometheus metrics of a node."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from roomcast import __version__
from roomcast.ops.serve import Node

from .conftest import error_of


async def test_health_and_readiness(client: TestClient[Any, Any], node: Node) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok", "version": __version__}
    assert await (await client.get("/readyz")).json() == {"status": "ready"}
    node.hub.closing = True
    assert await error_of(await client.get("/readyz")) == (
        503,
        "shutting_down",
        "the server is shutting down",
    )


async def test_a_broker_that_is_down_is_not_ready(client: TestClient[Any, Any], node: Node) -> None:
    await node.hub.broker.stop()
    assert await error_of(await client.get("/readyz")) == (
        503,
        "broker_unavailable",
        "the broker connection is down",
    )


async def test_metrics_count_api_errors(client: TestClient[Any, Any]) -> None:
    await client.get("/api/nothing")
    reply = await client.get("/metrics")
    assert reply.headers["Content-Type"].startswith("text/plain")
    text = await reply.text()
    assert 'roomcast_http_errors_total{status="404"} 1' in text
