"""The PostgreSQL schema: migrations apply once, and an earlier schema opens with its history."""

from __future__ import annotations

import asyncpg
import pytest

from roomcast.store.base import NewMessage, StoreUnavailable
from roomcast.store.migrations import migrations
from roomcast.store.postgres import PostgresStore, apply_migrations, migrate


async def test_migrations_apply_once(postgres_url: str) -> None:
    newest = migrations("postgres")[-1].version
    applied, version = await migrate(postgres_url)
    assert [m.version for m in applied] == [m.version for m in migrations("postgres")]
    assert version == newest
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await apply_migrations(conn) == []
    finally:
        await conn.close()
    assert await migrate(postgres_url) == ([], newest)


async def test_an_unreachable_server_cannot_be_migrated() -> None:
    with pytest.raises(StoreUnavailable, match="cannot reach PostgreSQL"):
        await migrate("postgresql://postgres@127.0.0.1:1/test", timeout=1.0)


async def test_a_database_of_the_first_schema_opens_with_its_history(postgres_url: str) -> None:
    first = migrations("postgres")[0]
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(first.sql)
        await conn.execute(
            "CREATE TABLE roomcast_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        await conn.execute(
            "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)", first.version, first.name
        )
        await conn.execute("INSERT INTO rooms (name, last_id, created_ms) VALUES ('lobby', 2, 1)")
        await conn.executemany(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms) VALUES ($1, $2, $3, $4,"
            " $5, $6)",
            [("lobby", n, "alice", f"old {n}", "w1", n) for n in (1, 2)],
        )
    finally:
        await conn.close()
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        assert [m.text for m in await store.page("lobby", None, 10)] == ["old 1", "old 2"]
        nxt = await store.append(NewMessage("lobby", "bob", "new", "w2", 3))
        assert nxt.message.id == 3
    finally:
        await store.close()
