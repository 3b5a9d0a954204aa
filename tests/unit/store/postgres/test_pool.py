"""The PostgreSQL store's pool: errors become ``StoreUnavailable``, a transaction is all or none."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roomcast.store.base import StoreUnavailable
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import affected


def _pool(dsn: str) -> Pool:
    return Pool(dsn, size=2, connect_timeout=1.0, command_timeout=2.0)


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[Pool]:
    opened = _pool(postgres_url)
    await opened.open()
    yield opened
    await opened.close()


async def test_an_unreachable_server_cannot_be_opened() -> None:
    with pytest.raises(StoreUnavailable, match="cannot open the PostgreSQL store"):
        await _pool("postgresql://postgres@127.0.0.1:1/test").open()


async def test_queries_need_an_open_pool(postgres_url: str) -> None:
    with pytest.raises(StoreUnavailable, match="closed"):
        await _pool(postgres_url).fetch("SELECT 1")


async def test_a_failing_statement_is_store_unavailable(pool: Pool) -> None:
    with pytest.raises(StoreUnavailable, match="unavailable"):
        await pool.fetch("SELECT * FROM no_such_table")
    assert [tuple(row) for row in await pool.fetch("SELECT $1::int", 7)] == [(7,)]


async def test_a_transaction_is_all_or_none(pool: Pool) -> None:
    insert = ("INSERT INTO rooms (name, last_id, created_ms) VALUES ($1, 0, 0)", ("den",))
    with pytest.raises(StoreUnavailable):
        await pool.transaction(insert, ("INSERT INTO no_such_table VALUES (1)", ()))
    assert await pool.fetch("SELECT name FROM rooms") == []
    (status,) = await pool.transaction(insert)
    assert affected(status) == 1


async def test_a_closed_pool_takes_no_more_queries(pool: Pool) -> None:
    pool.closed = True
    with pytest.raises(StoreUnavailable, match="closed"):
        await pool.transaction(("SELECT 1", ()))


def test_affected_reads_the_row_count_of_a_status() -> None:
    assert affected("INSERT 0 3") == 3
    assert affected("UPDATE 1") == 1
    assert affected("DELETE 0") == 0
