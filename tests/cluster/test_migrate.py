"""``roomcast migrate --db URL`` applies the PostgreSQL migrations once and reports the version."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg

from legacy_rooms import JOURNALED, ROWS, check_migrated
from roomcast.store.migrations import migrations
from roomcast.store.postgres import PostgresStore

from .conftest import Cluster


def migrate(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomcast", "migrate", "--db", db_url],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_migrate_then_serve(cluster: Cluster) -> None:
    first = await asyncio.to_thread(migrate, cluster.db_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "applied migration 0001 messages",
        "applied migration 0002 access",
        "applied migration 0003 conversations",
        "applied migration 0004 owners",
        "applied migration 0005 people",
        "applied migration 0006 search",
        "applied migration 0007 uploads",
        "applied migration 0008 rooms_and_admin",
        "schema at version 8",
    ]
    again = await asyncio.to_thread(migrate, cluster.db_url)
    assert again.stdout.splitlines() == ["schema at version 8"]
    node = await cluster.node()
    assert "applying PostgreSQL migration" not in node.log()


async def test_migrate_reports_an_unreachable_database() -> None:
    result = await asyncio.to_thread(migrate, "postgresql://postgres@127.0.0.1:1/test")
    assert result.returncode == 1
    assert result.stderr.startswith("roomcast: cannot reach PostgreSQL")


async def test_rooms_whose_names_collide_are_kept_apart(cluster: Cluster) -> None:
    """0008 rooms_and_admin on a database of the release before it: the oldest spelling keeps the
    name, the others are renamed NAME-N with their history, roles, sanctions and people."""
    conn = await asyncpg.connect(cluster.db_url)
    try:
        await conn.execute(
            "CREATE TABLE roomcast_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for migration in migrations("postgres"):
            if migration.version < 8:
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
        for table, (columns, rows) in ROWS.items():
            marks = ", ".join(f"${n}" for n in range(1, len(rows[0]) + 1))
            await conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        await conn.execute(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            *JOURNALED,
        )
    finally:
        await conn.close()
    result = await asyncio.to_thread(migrate, cluster.db_url)
    assert result.stdout.splitlines() == [
        "applied migration 0008 rooms_and_admin",
        "schema at version 8",
    ]
    store = PostgresStore(cluster.db_url)
    await store.open()
    try:
        await check_migrated(store)
    finally:
        await store.close()
