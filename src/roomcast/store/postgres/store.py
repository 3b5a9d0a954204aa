"""The PostgreSQL store: history shared by every node of a deployment.

``PostgresStore`` is the facade over its parts, which share one connection pool (pool.py): the
writer task (writer.py), the reads (reads.py), the room administration (rooms.py), the access
store (access.py), the person-level state (people.py), the search (search.py) and the files
(files.py). Schema
migrations (schema.py) are applied at ``open()``. When PostgreSQL cannot be reached, appends
fail and reads raise ``StoreUnavailable``; the pool reconnects by itself on later calls. The
driver is asyncpg: half the client CPU of psycopg 3 per append and per read in this workload
(docs/decisions.md, "Scale-out drivers").
"""

from __future__ import annotations

from roomcast.store.base import MAX_PENDING, MAX_PENDING_BYTES
from roomcast.store.composed import ComposedStore
from roomcast.store.postgres.access import Access
from roomcast.store.postgres.files import Files
from roomcast.store.postgres.people import People
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.reads import Reads
from roomcast.store.postgres.rooms import RoomAdmin
from roomcast.store.postgres.search import Search
from roomcast.store.postgres.writer import Writer


class PostgresStore(ComposedStore):
    """A ``Store`` in PostgreSQL, for any number of nodes.

    ``dsn`` is a libpq-style URL; extra query parameters such as ``search_path`` are passed to
    the server as settings. ``command_timeout`` bounds each statement, and the wait of each line
    for its outcome (``Writer``); the writer's queue holds at most ``max_pending`` items and
    ``max_pending_bytes`` bytes.
    """

    _writer: Writer

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 4,
        max_pending: int = MAX_PENDING,
        max_pending_bytes: int = MAX_PENDING_BYTES,
        connect_timeout: float = 3.0,
        command_timeout: float = 5.0,
    ) -> None:
        self.dsn = dsn
        self._pool = Pool(
            dsn, size=pool_size, connect_timeout=connect_timeout, command_timeout=command_timeout
        )
        self._writer = Writer(
            self._pool, max_pending, timeout=command_timeout, max_bytes=max_pending_bytes
        )
        super().__init__(
            self._writer,
            Reads(self._pool),
            RoomAdmin(self._pool),
            Access(self._pool),
            People(self._pool),
            Search(self._pool),
            Files(self._pool),
        )

    async def open(self) -> None:
        """Connect, apply migrations and start the writer; ``StoreUnavailable`` if unreachable."""
        await self._pool.open()
        self._writer.start()

    async def close(self) -> None:
        if self._pool.closed:
            return
        self._pool.closed = True
        await self._writer.close()
        await self._pool.close()
