"""Fixtures of the shared contract suites: the real Redis and PostgreSQL on this machine.

Each test gets its own Redis key and channel prefix and its own PostgreSQL schema (a fresh
``search_path``), so tests never see each other's data and leave nothing behind. The servers are
found at ``ROOMCAST_TEST_REDIS`` and ``ROOMCAST_TEST_POSTGRES`` (defaults: 127.0.0.1); a test that
needs one that is down fails, naming it, rather than passing on a substitute.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("ROOMCAST_TEST_REDIS", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("ROOMCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1/test")


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key and channel prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"roomcast-test:{secrets.token_hex(4)}:"
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield prefix
    keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A DSN whose ``search_path`` is a fresh schema, dropped afterwards."""
    schema = f"roomcast_test_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    await admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}search_path={schema}"
    await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    await admin.close()
