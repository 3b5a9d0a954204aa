"""A node assembled as ``roomcast serve`` assembles it, on the memory store, broker and presence,
and an aiohttp test client on its application: the REST layer in-process, nothing mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from roomcast.broker.memory import MemoryBroker
from roomcast.ops.config import Settings
from roomcast.ops.serve import Node, assemble
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore

API_KEY = "unit-test-api-key"
PASSWORD = "correct horse battery"


def bearer(secret: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def settings() -> Settings:
    """Settings without a login budget; a test that needs other settings overrides this."""
    return Settings(rate_logins="0", admins="dora")


@pytest.fixture
async def node(settings: Settings) -> AsyncIterator[Node]:
    built = assemble(settings, MemoryStore(), MemoryBroker(), MemoryPresence(), API_KEY)
    await built.hub.start()
    yield built
    await built.hub.stop()


@pytest.fixture
async def client(node: Node) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(node.app)) as test_client:
        yield test_client


async def sign_up(client: TestClient[Any, Any], name: str) -> None:
    """Register ``name``: the client's cookie jar then holds its session."""
    reply = await client.post("/api/register", json={"name": name, "password": PASSWORD})
    assert reply.status == 201, await reply.text()


async def error_of(reply: Any) -> tuple[int, str, str]:
    """The status, code and message of an error answer."""
    body = await reply.json()
    return reply.status, body["error"]["code"], body["error"]["message"]
