"""The PostgreSQL store's connection pool, shared by its writer, reads and access queries.

Every query borrows a pooled connection for as long as it runs (none opens one of its own); the
pool connects on demand and reconnects by itself after an outage. A failure to reach the server
or of a statement becomes ``StoreUnavailable``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.pool import PoolAcquireContext, PoolConnectionProxy

from roomcast.store.base import StoreUnavailable
from roomcast.store.postgres.schema import apply_migrations
from roomcast.store.postgres.sql import UNAVAILABLE, unavailable


class Pool:
    """The pool of one store, from ``open`` to ``close``."""

    def __init__(
        self, dsn: str, *, size: int, connect_timeout: float, command_timeout: float
    ) -> None:
        self._dsn = dsn
        self._size = size
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        # No more reads or access writes (the writer may still be committing).
        self.closed = False

    async def open(self) -> None:
        """Connect and apply migrations; ``StoreUnavailable`` if unreachable."""
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=0,  # connect on demand: no background reconnect noise
                max_size=self._size,
                timeout=self._connect_timeout,
                command_timeout=self._command_timeout,
            )
            async with self._pool.acquire() as conn:
                await apply_migrations(conn)
        except UNAVAILABLE as exc:
            if self._pool is not None:
                self._pool.terminate()
            raise StoreUnavailable(f"cannot open the PostgreSQL store: {exc}") from exc
        self.closed = False

    async def close(self) -> None:
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), self._command_timeout)
            except TimeoutError:
                self._pool.terminate()

    def acquire(self) -> PoolAcquireContext:
        """A pooled connection, for the writer (which sorts the errors itself)."""
        assert self._pool is not None
        return self._pool.acquire(timeout=self._connect_timeout)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PoolConnectionProxy]:
        """A pooled connection for a read or an access write; errors as ``StoreUnavailable``."""
        if self.closed or self._pool is None:
            raise StoreUnavailable("the store is closed")
        try:
            async with self._pool.acquire(timeout=self._connect_timeout) as conn:
                yield conn
        except UNAVAILABLE as exc:
            raise unavailable(exc) from exc

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.connection() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def transaction(self, *statements: tuple[str, Sequence[Any]]) -> list[str]:
        """Run statements in one transaction; their status strings ("INSERT 0 1", ...)."""
        async with self.connection() as conn, conn.transaction():
            return [await conn.execute(sql, *args) for sql, args in statements]
