"""SQLite message store: the embedded default, one file, durable across ``kill -9``.

One writer thread owns the write connection. Appends queue up while a commit runs and are then
committed together, so the event loop never waits on the disk and a busy room costs one commit per
batch, not per message. The database runs in WAL mode; with ``synchronous=NORMAL`` (the default) a
committed message survives a crash of the process, with ``FULL`` also a crash of the machine.
Reads run on a second connection in their own thread, beside the writer.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from roomcast.protocol import ChatMessage
from roomcast.store.base import Appended, NewMessage, RoomSummary, StoreUnavailable, ref_key
from roomcast.store.migrations import migrations

log = logging.getLogger(__name__)

_MAX_BATCH: Final = 2000
_COLUMNS: Final = "room, id, author, body, wsid, sent_ms"
_STOP: Final = object()

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
_Job = tuple[asyncio.Future[Appended], NewMessage]
_T = TypeVar("_T")


class SQLiteStore:
    """A ``MessageStore`` in one SQLite file."""

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Synchronous = "NORMAL",
        max_pending: int = 50_000,
    ) -> None:
        self.path = Path(path)
        self._synchronous = synchronous
        self._max_pending = max_pending
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._pending = 0
        self._last_ids: dict[str, int] = {}
        self._data_version: int | None = None
        self._writer: threading.Thread | None = None
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-read")
        self._read_conn: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_conn = await asyncio.to_thread(self._open_writer)
        self._writer = threading.Thread(
            target=self._write_loop, args=(write_conn,), name="roomcast-sqlite-write", daemon=True
        )
        self._writer.start()

    def _open_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for migration in migrations("sqlite"):
            if migration.version > version:
                log.info("applying SQLite migration %04d %s", migration.version, migration.name)
                conn.executescript(
                    f"BEGIN; {migration.sql}; PRAGMA user_version={migration.version}; COMMIT;"
                )
        return conn

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._writer.join)
        await asyncio.get_running_loop().run_in_executor(self._reader, self._close_reader)
        self._reader.shutdown(wait=True)

    def _close_reader(self) -> None:
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None

    # -- writes ---------------------------------------------------------------------------------

    def append(self, message: NewMessage) -> asyncio.Future[Appended]:
        loop = self._loop or asyncio.get_running_loop()
        future: asyncio.Future[Appended] = loop.create_future()
        if self._closed:
            future.set_exception(StoreUnavailable("the store is closed"))
        elif self._pending >= self._max_pending:
            future.set_exception(StoreUnavailable("the store is overloaded; try again"))
        else:
            self._pending += 1
            self._queue.put((future, message))
        return future

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                batch: list[_Job] = [item]  # type: ignore[list-item]
                stop = False
                while len(batch) < _MAX_BATCH:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        stop = True
                        break
                    batch.append(more)  # type: ignore[arg-type]
                outcome = self._commit(conn, batch)
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._resolve, outcome)
                if stop:
                    return
        finally:
            conn.close()

    def _commit(
        self, conn: sqlite3.Connection, batch: list[_Job]
    ) -> list[tuple[asyncio.Future[Appended], Appended | StoreUnavailable]]:
        outcome: list[tuple[asyncio.Future[Appended], Appended | StoreUnavailable]] = []
        rows: list[tuple[Any, ...]] = []
        seen_refs: dict[tuple[str | None, str], Appended] = {}
        last_ids: dict[str, int] = {}
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._forget_if_changed_elsewhere(conn)
            for future, new in batch:
                key = ref_key(new.ref)
                if key is not None:
                    earlier = seen_refs.get((new.sender, key)) or self._find_ref(
                        conn, new.sender, key
                    )
                    if earlier is not None:
                        outcome.append((future, earlier))
                        continue
                last = last_ids.get(new.room)
                if last is None:
                    last = self._last_id_for_write(conn, new.room)
                last_ids[new.room] = message_id = last + 1
                message = ChatMessage(
                    new.room, message_id, new.author, new.text, new.wsid, new.sent_ms
                )
                rows.append(
                    (
                        new.room,
                        message_id,
                        new.author,
                        new.text,
                        new.wsid,
                        new.sent_ms,
                        new.sender,
                        key,
                    )
                )
                stored = Appended(message, duplicate=False)
                if key is not None:
                    seen_refs[(new.sender, key)] = Appended(message, duplicate=True)
                outcome.append((future, stored))
            conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.executemany(
                "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, deleted = 0",
                [(room, last, batch[0][1].sent_ms) for room, last in last_ids.items()],
            )
            conn.execute("COMMIT")
        except (sqlite3.Error, ValueError) as exc:
            # ValueError: text SQLite cannot encode; the batch fails, the writer lives on.
            log.error("SQLite commit of %d messages failed: %s", len(batch), exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._last_ids.clear()
            error = StoreUnavailable(f"the message store failed: {exc}")
            return [(future, error) for future, _ in batch]
        self._last_ids.update(last_ids)
        return outcome

    def _forget_if_changed_elsewhere(self, conn: sqlite3.Connection) -> None:
        """Drop cached last IDs when another connection (``roomcast history import``) wrote."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._last_ids.clear()
            self._data_version = version

    def _last_id_for_write(self, conn: sqlite3.Connection, room: str) -> int:
        cached = self._last_ids.get(room)
        if cached is not None:
            return cached
        row = conn.execute("SELECT last_id FROM rooms WHERE name = ?", (room,)).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _find_ref(conn: sqlite3.Connection, sender: str | None, key: str) -> Appended | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE sender IS ? AND ref = ?", (sender, key)
        ).fetchone()
        return Appended(ChatMessage(*row), duplicate=True) if row else None

    def _resolve(
        self, outcome: list[tuple[asyncio.Future[Appended], Appended | StoreUnavailable]]
    ) -> None:
        self._pending -= len(outcome)
        for future, result in outcome:
            if future.done():
                continue
            if isinstance(result, StoreUnavailable):
                future.set_exception(result)
            else:
                future.set_result(result)

    # -- reads ----------------------------------------------------------------------------------

    async def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._closed:
            raise StoreUnavailable("the store is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._reader, self._query, sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the message store failed: {exc}") from exc

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._read_conn is None:
            self._read_conn = self._connect()
        return self._read_conn.execute(sql, params).fetchall()

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (room, before if before is not None else 2**63 - 1, limit),
        )
        return [ChatMessage(*row) for row in reversed(rows)]

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM messages WHERE room = ? AND id > ? ORDER BY id LIMIT ?",
            (room, after_id, limit),
        )
        return [ChatMessage(*row) for row in rows]

    async def last_id(self, room: str) -> int:
        rows = await self._read("SELECT last_id FROM rooms WHERE name = ?", (room,))
        return int(rows[0][0]) if rows else 0

    async def rooms(self) -> list[RoomSummary]:
        rows = await self._read(
            "SELECT name, last_id, topic FROM rooms WHERE deleted = 0 ORDER BY name", ()
        )
        return [RoomSummary(*row) for row in rows]

    async def room(self, name: str) -> RoomSummary | None:
        rows = await self._read(
            "SELECT name, last_id, topic FROM rooms WHERE name = ? AND deleted = 0", (name,)
        )
        return RoomSummary(*rows[0]) if rows else None

    # -- administration -------------------------------------------------------------------------
    #
    # Rare writes from the admin CLI, each in its own connection and transaction beside the
    # writer thread (SQLite serialises them; the writer notices through ``data_version``).

    async def _admin(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        if self._closed:
            raise StoreUnavailable("the store is closed")
        try:
            return await asyncio.to_thread(self._in_transaction, work)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the message store failed: {exc}") from exc

    def _in_transaction(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        finally:
            conn.close()

    async def create_room(self, name: str, topic: str = "") -> bool:
        def create(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms, topic) VALUES (?, 0, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET deleted = 0, topic = excluded.topic"
                " WHERE deleted = 1",
                (name, time.time_ns() // 1_000_000, topic),
            )
            return cursor.rowcount == 1

        return await self._admin(create)

    async def delete_room(self, name: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE rooms SET deleted = 1, topic = '' WHERE name = ? AND deleted = 0", (name,)
            )
            if cursor.rowcount != 1:
                return False
            conn.execute("DELETE FROM messages WHERE room = ?", (name,))
            return True

        return await self._admin(delete)

    async def import_messages(self, messages: Sequence[ChatMessage]) -> int:
        highest: dict[str, tuple[int, int]] = {}
        for m in messages:
            last, first_ms = highest.get(m.room, (0, m.sent_ms))
            highest[m.room] = (max(last, m.id), min(first_ms, m.sent_ms))

        def store(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)"
                " ON CONFLICT (room, id) DO NOTHING",
                [(m.room, m.id, m.author, m.text, m.wsid, m.sent_ms) for m in messages],
            )
            added = conn.total_changes - before
            conn.executemany(
                "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE"
                " SET last_id = max(last_id, excluded.last_id), deleted = 0",
                [(room, last, first_ms) for room, (last, first_ms) in highest.items()],
            )
            return added

        return await self._admin(store)
