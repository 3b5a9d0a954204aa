"""The PostgreSQL schema: applies the migrations in ``store/migrations/postgres`` that a database
lacks, each in a transaction of its own under an advisory lock, so nodes starting together apply
each once (and wait until all are applied).

The versions applied are rows of ``roomcast_schema``, which the first start creates.
"""

from __future__ import annotations

import logging
from typing import Final

import asyncpg

from roomcast.store.base import StoreUnavailable
from roomcast.store.migrations import Migration, migrations
from roomcast.store.postgres.sql import UNAVAILABLE, Conn

log = logging.getLogger(__name__)

# Any value will do, as long as every node uses the same one.
_MIGRATION_LOCK: Final = 0x726F6F6D63617374  # "roomcast"


async def apply_migrations(conn: Conn) -> list[Migration]:
    """Bring the schema up to date, a transaction per migration (a migration's table locks end
    with it); the migrations that were applied."""
    applied: list[Migration] = []
    while (migration := await _apply_next(conn)) is not None:
        applied.append(migration)
    return applied


async def _apply_next(conn: Conn) -> Migration | None:
    """Apply the first migration the schema lacks, in one transaction; None when it has all."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        if not await conn.fetchval("SELECT to_regclass('roomcast_schema') IS NOT NULL"):
            # Only the first start creates it: later ones need no CREATE privilege.
            await conn.execute(
                "CREATE TABLE roomcast_schema ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM roomcast_schema")
        known = migrations("postgres")
        if known and current > known[-1].version:
            log.warning(
                "the PostgreSQL schema is at version %d, newer than this roomcast knows (%d)",
                current,
                known[-1].version,
            )
        for migration in known:
            if migration.version > current:
                log.info("applying PostgreSQL migration %04d %s", migration.version, migration.name)
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
                return migration
    return None


async def migrate(dsn: str, *, timeout: float = 10.0) -> tuple[list[Migration], int]:
    """Apply pending migrations to the database at ``dsn``: (applied, version now).

    Raises ``StoreUnavailable`` when the database cannot be reached.
    """
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except UNAVAILABLE as exc:
        raise StoreUnavailable(f"cannot reach PostgreSQL: {exc}") from exc
    try:
        applied = await apply_migrations(conn)
        version = int(await conn.fetchval("SELECT max(version) FROM roomcast_schema"))
    except UNAVAILABLE as exc:
        raise StoreUnavailable(f"migration failed: {exc}") from exc
    finally:
        await conn.close()
    return applied, version
