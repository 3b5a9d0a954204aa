"""The SQLite store: the embedded default, one file, durable across ``kill -9``.

The database runs in WAL mode; with ``synchronous=NORMAL`` (the default) a committed message
survives a crash of the process, with ``FULL`` also a crash of the machine. ``SQLiteStore`` is
the facade over its parts: the writer thread (writer.py), the reads beside it (reads.py), the
room administration (rooms.py), the access store (access.py), the people store (people.py), the
search with its index, in a database file of its own (search.py, search_index.py), and the
files, in a database of their own beside it (files.py).
"""

from __future__ import annotations

from pathlib import Path

from roomcast.store.base import MAX_PENDING, MAX_PENDING_BYTES
from roomcast.store.composed import ComposedStore
from roomcast.store.sqlite.access import Access
from roomcast.store.sqlite.connection import Synchronous
from roomcast.store.sqlite.files import Files
from roomcast.store.sqlite.people import People
from roomcast.store.sqlite.reads import Reads
from roomcast.store.sqlite.rooms import RoomAdmin
from roomcast.store.sqlite.search import Search
from roomcast.store.sqlite.writer import Writer


class SQLiteStore(ComposedStore):
    """A ``Store`` in one SQLite file."""

    _writer: Writer

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Synchronous = "NORMAL",
        max_pending: int = MAX_PENDING,
        max_pending_bytes: int = MAX_PENDING_BYTES,
        search_index: bool = True,
    ) -> None:
        self.path = Path(path)
        self._writer = Writer(self.path, synchronous, max_pending, max_pending_bytes)
        self._reads = Reads(self.path, synchronous, self._writer)
        self.searcher = Search(self.path, synchronous, self._writer, index=search_index)
        self._uploads = Files(self.path, synchronous)
        super().__init__(
            self._writer,
            self._reads,
            RoomAdmin(self._reads, self._writer),
            Access(self._reads, self._writer),
            People(self._reads, self._writer),
            self.searcher,
            self._uploads,
        )

    async def open(self) -> None:
        await self._writer.open()
        await self.searcher.open()
        await self._uploads.open()

    async def close(self) -> None:
        # The search's connections first: they attach the database read-only, and the last
        # connection to close it must be one that may checkpoint the log and remove it.
        await self.searcher.close()
        await self._writer.close()
        await self._reads.close()
        await self._uploads.close()
