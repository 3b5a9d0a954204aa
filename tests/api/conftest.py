"""Fixtures of the REST, spec, metrics and admin tests: a live server with a known API key, and
its OpenAPI and AsyncAPI documents."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import ServerProcess

from .support import API_KEY, http


@pytest.fixture
def api_server(server_factory: Any) -> ServerProcess:
    """A running server whose API key is ``API_KEY``, with a small resume limit."""
    return server_factory(  # type: ignore[no-any-return]
        "--userlist-interval", "0.02", "--resume-limit", "3", env={"ROOMCAST_API_KEY": API_KEY}
    )


@pytest.fixture
async def openapi(api_server: ServerProcess) -> dict[str, Any]:
    reply = await http("GET", f"{api_server.http_url}/api/openapi.json")
    assert reply.status == 200
    return reply.json()  # type: ignore[no-any-return]


@pytest.fixture
async def asyncapi(api_server: ServerProcess) -> dict[str, Any]:
    reply = await http("GET", f"{api_server.http_url}/api/asyncapi.json")
    assert reply.status == 200
    return reply.json()  # type: ignore[no-any-return]
