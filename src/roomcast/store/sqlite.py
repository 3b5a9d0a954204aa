"""SQLite message store: the embedded default, one file, durable across ``kill -9``.

One writer thread owns the write connection. Appends queue up while a commit runs and are then
committed together, so the event loop never waits on the disk and a busy room costs one commit per
batch, not per message. A commit appends its messages to the journal table as one row, which
writes a few pages however many rooms they fall in; the writer moves journal rows into the
``messages`` table, sorted by room, once thousands have gathered, a second has passed or a read
needs them. The database runs in WAL mode; with ``synchronous=NORMAL`` (the default) a committed
message survives a crash of the process, with ``FULL`` also a crash of the machine. Reads run on a
second connection in their own thread, beside the writer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

import orjson

from roomcast.store.base import (
    Account,
    AppendDone,
    Appended,
    AppendsAsFutures,
    AuditEntry,
    Credential,
    NewMessage,
    Outcomes,
    RoomAccess,
    RoomSummary,
    Sanction,
    StoreUnavailable,
    Submission,
    failed,
    ref_key,
    report,
    report_all,
)
from roomcast.store.checkpoint import Checkpointer
from roomcast.store.columns import ACCOUNT as _ACCOUNT
from roomcast.store.columns import CREDENTIAL as _CREDENTIAL
from roomcast.store.columns import MESSAGE as _COLUMNS
from roomcast.store.columns import SANCTION as _SANCTION
from roomcast.store.migrations import migrations
from roomcast.wire.protocol import ChatMessage

log = logging.getLogger(__name__)

_MAX_BATCH: Final = 2000
# Most rows per INSERT statement: 8 columns x 256 rows stays far below SQLite's variable limit.
_ROWS_PER_STATEMENT: Final = 256
_STOP: Final = object()
# A commit has a fixed cost (the transaction, the journal row, the rooms' last IDs) however many
# messages it holds, so under load the writer gathers them: it keeps its CPU to about this share
# of the time, waiting at most _MAX_COMMIT_DELAY before a commit.
_WRITER_SHARE: Final = 0.2
_MAX_COMMIT_DELAY: Final = 0.01
# Journal rows move into `messages` once this many messages have gathered (with 100 busy rooms,
# some 20 rows per room and page instead of a few per commit), or once the oldest has waited this
# long. A move of 2,048 takes a few ms; the cost per message hardly changes from 1,024 to 8,192
# (bench/micro/sqlite_rooms.py), while larger moves hold back the commits behind them for longer.
_MOVE_ROWS: Final = 2048
# Pages of history up to this many messages are read on the event loop's thread (see _read),
# unless a lock held elsewhere answers with one of these (primary result codes).
_INLINE_ROWS: Final = 200
_LOCK_ERRORS: Final = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_MOVE_AGE: Final = 1.0
_JOURNAL_INSERT: Final = "INSERT INTO message_journal (batch) VALUES (?)"
# A commit's last ID per room it wrote to, with multi-row VALUES.
_ROOMS_UPSERT: Final = "INSERT INTO rooms (name, last_id, created_ms) VALUES"
_ROOMS_UPSERT_TAIL: Final = (
    " ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id, deleted = 0"
)

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
# The message rows of journal rows, by the journal row's seq.
Batches = dict[int, list[tuple[Any, ...]]]
_T = TypeVar("_T")


def _insert_many(
    conn: sqlite3.Connection, head: str, rows: list[tuple[Any, ...]], tail: str = ""
) -> None:
    """Insert ``rows`` with multi-row ``VALUES`` statements rather than ``executemany``.

    Each statement is one call into SQLite, so the writer thread gives up and takes back the GIL
    once per chunk instead of once per row, and a busy event loop cannot stall a commit row by
    row. Chunks have power-of-two sizes, so the few distinct statements stay in the connection's
    statement cache instead of being compiled again for every batch size.
    """
    if not rows:
        return
    width = len(rows[0])
    placeholders = "(" + ", ".join("?" * width) + ")"
    start = 0
    while start < len(rows):
        size = min(_ROWS_PER_STATEMENT, 1 << ((len(rows) - start).bit_length() - 1))
        chunk = rows[start : start + size]
        start += size
        values = ", ".join([placeholders] * size)
        conn.execute(f"{head} {values}{tail}", [value for row in chunk for value in row])


def move_journal(conn: sqlite3.Connection) -> int:
    """Move every message of the journal table into ``messages``; the number moved.

    For a database whose writer stopped without moving them (a crash), and for a backup copy.
    """
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'message_journal'").fetchone():
        return 0  # a database from before the journal
    return _move_batches(conn, None)


def _still_journaled(conn: sqlite3.Connection, batches: Batches) -> set[int]:
    """The journal rows of ``batches`` that are still in the journal table."""
    if not batches:
        return set()
    rows = conn.execute(
        "SELECT seq FROM message_journal WHERE seq BETWEEN ? AND ?", (min(batches), max(batches))
    )
    return {seq for (seq,) in rows if seq in batches}


def _move_batches(conn: sqlite3.Connection, batches: Batches | None) -> int:
    """In one transaction, move journal rows into ``messages``; the number of messages moved.

    ``batches``: the messages of the journal rows this connection wrote, by journal row. Only those
    still in the journal move: another connection (an admin command opening the database) may
    have moved some meanwhile, and a message it moved may since have been deleted. None: every
    journal row, read from the table. Messages already in ``messages`` are left as they are.
    Sorted by key (room, id: unique, so the rest of a row is never compared), each room's messages
    go in one after another, on the same B-tree pages.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        if batches is None:
            found = {
                seq: [tuple(row) for row in orjson.loads(batch)]
                for seq, batch in conn.execute("SELECT seq, batch FROM message_journal")
            }
        else:
            found = {seq: batches[seq] for seq in _still_journaled(conn, batches)}
        rows = sorted(row for messages in found.values() for row in messages)
        _insert_many(
            conn, "INSERT INTO messages VALUES", rows, " ON CONFLICT (room, id) DO NOTHING"
        )
        conn.executemany("DELETE FROM message_journal WHERE seq = ?", [(seq,) for seq in found])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(rows)


@dataclasses.dataclass(slots=True)
class _Barrier:
    """Queued behind earlier appends, released once they are committed.

    For a room: with the rows (``messages`` columns) of that room's messages still in the
    journal, for a read to add to what it finds in ``messages``. For None: once every earlier
    message is in ``messages`` (before an admin write to them).
    """

    room: str | None
    released: asyncio.Future[list[tuple[Any, ...]]]

    def release(self, rows: list[tuple[Any, ...]], error: StoreUnavailable | None) -> None:
        if self.released.done():
            return
        if error is None:
            self.released.set_result(rows)
        else:
            self.released.set_exception(error)


class SQLiteStore(AppendsAsFutures):
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
        self._queue: queue.SimpleQueue[list[Submission] | _Barrier | object] = queue.SimpleQueue()
        # Appends of the current event-loop iteration, not yet handed to the writer.
        self._gathering: list[Submission] = []
        self._pending = 0
        self._last_ids: dict[str, int] = {}
        # PRAGMA data_version as the writer last saw it: it changes when another connection
        # commits.
        self._data_version: int | None = None
        # The writer thread's own: messages in the journal table, not yet moved to `messages`,
        # by journal row, with their number, their refs and when the oldest was committed.
        self._journaled: Batches = {}
        self._journaled_count = 0
        self._journaled_refs: dict[tuple[str | None, str], Appended] = {}
        self._journaled_since = 0.0
        self._writer: threading.Thread | None = None
        self._checkpointer = Checkpointer(self._connect)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-read")
        self._read_conn: sqlite3.Connection | None = None
        self._inline_conn: sqlite3.Connection | None = None
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
        self._checkpointer.start()
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
        # Checkpoints run in their own thread (store/checkpoint.py), so no commit waits for one;
        # a log that a burst made long is cut back to 32 MiB once it starts again.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={32 << 20}")
        moved = move_journal(conn)
        if moved:
            log.info("moved %d journaled messages into the messages table", moved)
        return conn

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._hand_over()
            self._queue.put(_STOP)
            await asyncio.to_thread(self._writer.join)
        await asyncio.to_thread(self._checkpointer.stop)
        await asyncio.get_running_loop().run_in_executor(self._reader, self._close_reader)
        self._reader.shutdown(wait=True)
        if self._inline_conn is not None:
            self._inline_conn.close()
            self._inline_conn = None

    def _close_reader(self) -> None:
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None

    # -- writes ---------------------------------------------------------------------------------

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        if self._closed:
            report(done, StoreUnavailable("the store is closed"))
        elif self._pending >= self._max_pending:
            report(done, StoreUnavailable("the store is overloaded; try again"))
        else:
            self._pending += 1
            if not self._gathering:
                (self._loop or asyncio.get_running_loop()).call_soon(self._hand_over)
            self._gathering.append((done, message))

    def _hand_over(self) -> None:
        """Give this loop iteration's appends to the writer in one piece: one thread wake-up."""
        batch, self._gathering = self._gathering, []
        if batch:
            self._queue.put(batch)

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        next_commit = 0.0
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self._move_due_in())
                except queue.Empty:
                    self._move(conn)  # the oldest journaled message has waited _MOVE_AGE
                    continue
                if isinstance(item, list):
                    # Group commit: after a commit that took the writer c seconds of CPU, the
                    # next starts c / _WRITER_SHARE later at the earliest, so under load the rows
                    # of several loop iterations share one commit. After a quiet spell, at once.
                    wait = min(next_commit - time.monotonic(), _MAX_COMMIT_DELAY)
                    if wait > 0:
                        time.sleep(wait)
                started, cpu = time.monotonic(), time.thread_time()
                batch, barriers, stop = self._gather(item)
                assert self._loop is not None
                if batch:
                    outcome = self._commit(conn, batch)
                    next_commit = started + (time.thread_time() - cpu) / _WRITER_SHARE
                    self._loop.call_soon_threadsafe(self._resolve, outcome)
                error = None
                if (
                    stop
                    or self._journaled_count >= _MOVE_ROWS
                    or any(barrier.room is None for barrier in barriers)
                ):
                    error = self._move(conn)
                for barrier in barriers:
                    if barrier.room is None:
                        self._loop.call_soon_threadsafe(barrier.release, [], error)
                    else:
                        rows = self._journaled_in(conn, barrier.room)
                        self._loop.call_soon_threadsafe(barrier.release, rows, None)
                self._checkpointer.after_commit(conn)
                if stop:
                    return
        finally:
            conn.close()

    def _move_due_in(self) -> float | None:
        """Seconds until the oldest journaled message is due to move; None when there is none."""
        if not self._journaled:
            return None
        return max(0.0, self._journaled_since + _MOVE_AGE - time.monotonic())

    def _gather(self, first: object) -> tuple[list[Submission], list[_Barrier], bool]:
        """``first`` and what queued behind it: appends, barriers, and whether to stop."""
        batch: list[Submission] = []
        barriers: list[_Barrier] = []
        item = first
        while True:
            if item is _STOP:
                return batch, barriers, True
            if isinstance(item, _Barrier):
                barriers.append(item)
            else:
                batch.extend(cast(list[Submission], item))
            if len(batch) >= _MAX_BATCH:
                return batch, barriers, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, barriers, False

    def _commit(self, conn: sqlite3.Connection, batch: list[Submission]) -> Outcomes:
        """Journal ``batch`` in one transaction: IDs assigned, resent refs recognised."""
        outcome: Outcomes = []
        rows: list[tuple[Any, ...]] = []
        seen_refs: dict[tuple[str | None, str], Appended] = {}
        last_ids: dict[str, int] = {}
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._catch_up_with_others(conn)
            for done, new in batch:
                key = ref_key(new.ref)
                if key is not None:
                    earlier = (
                        seen_refs.get((new.sender, key))
                        or self._journaled_refs.get((new.sender, key))
                        or self._find_ref(conn, new.sender, key)
                    )
                    if earlier is not None:
                        outcome.append((done, earlier))
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
                outcome.append((done, stored))
            seq = None
            if rows:
                seq = conn.execute(_JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid
            _insert_many(
                conn,
                _ROOMS_UPSERT,
                [(room, last, batch[0][1].sent_ms) for room, last in last_ids.items()],
                _ROOMS_UPSERT_TAIL,
            )
            conn.execute("COMMIT")
        except (sqlite3.Error, ValueError, TypeError) as exc:
            # ValueError, TypeError: text SQLite or JSON cannot encode (a lone surrogate); the
            # batch fails, the writer lives on.
            log.error("SQLite commit of %d messages failed: %s", len(batch), exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._last_ids.clear()
            error = StoreUnavailable(f"the message store failed: {exc}")
            return failed(batch, error)
        self._last_ids.update(last_ids)
        if seq is not None:
            if not self._journaled:
                self._journaled_since = time.monotonic()
            self._journaled[seq] = rows
            self._journaled_count += len(rows)
            self._journaled_refs.update(seen_refs)
        return outcome

    def _move(self, conn: sqlite3.Connection) -> StoreUnavailable | None:
        """Move the journaled messages into ``messages``; the error if that fails."""
        if not self._journaled:
            return None
        try:
            _move_batches(conn, self._journaled)
        except sqlite3.Error as exc:
            log.error("moving %d journaled messages failed: %s", self._journaled_count, exc)
            self._journaled_since = time.monotonic()  # try again after _MOVE_AGE
            return StoreUnavailable(f"the message store failed: {exc}")
        self._journaled = {}
        self._journaled_count = 0
        self._journaled_refs.clear()
        return None

    def _journaled_in(self, conn: sqlite3.Connection, room: str) -> list[tuple[Any, ...]]:
        """The ``messages`` columns of ``room``'s messages still in the journal."""
        self._catch_up_with_others(conn)
        return [row[:6] for rows in self._journaled.values() for row in rows if row[0] == room]

    async def _barrier(self, room: str | None) -> list[tuple[Any, ...]]:
        """Wait for the writer to commit every message submitted before this call; see
        ``_Barrier`` for what it answers."""
        if self._closed:
            raise StoreUnavailable("the store is closed")
        if self._writer is None:
            return []
        barrier = _Barrier(room, asyncio.get_running_loop().create_future())
        self._hand_over()
        self._queue.put(barrier)
        return await barrier.released

    async def _settled(self) -> None:
        """Wait until every message submitted before this call is in the ``messages`` table."""
        await self._barrier(None)

    def _catch_up_with_others(self, conn: sqlite3.Connection) -> None:
        """When another connection wrote (an admin command: ``roomcast history import``, or any
        command opening the database, which moves the journal and may then delete a message),
        drop the cached last IDs and forget journaled messages no longer in the journal."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        self._data_version = version
        self._last_ids.clear()
        if self._journaled:
            present = _still_journaled(conn, self._journaled)
            for seq in [seq for seq in self._journaled if seq not in present]:
                self._journaled_count -= len(self._journaled.pop(seq))

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

    def _resolve(self, outcome: Outcomes) -> None:
        self._pending -= len(outcome)
        report_all(outcome)

    # -- reads ----------------------------------------------------------------------------------

    async def _read(
        self, sql: str, params: tuple[Any, ...], *, inline: bool = True
    ) -> list[tuple[Any, ...]]:
        """The rows of one query; ``inline`` for a short one (a row by key, a page of history).

        A short query runs on the event loop's own thread: in WAL mode a read never waits for
        the writer, and it costs a few microseconds where a hop to the reader thread and back
        costs about 100 of CPU (two thread switches on one core). Its connection has no busy
        timeout, so a lock held elsewhere (an exclusive one, a recovery) sends the query to the
        reader thread, which waits for it, instead of stalling the loop.
        """
        if self._closed:
            raise StoreUnavailable("the store is closed")
        try:
            if inline:
                try:
                    return self._inline().execute(sql, params).fetchall()
                except sqlite3.OperationalError as exc:
                    if exc.sqlite_errorcode & 0xFF not in _LOCK_ERRORS:
                        raise
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._reader, self._query, sql, params)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the message store failed: {exc}") from exc

    def _inline(self) -> sqlite3.Connection:
        if self._inline_conn is None:
            conn = self._connect()
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA query_only=1")
            self._inline_conn = conn
        return self._inline_conn

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._read_conn is None:
            self._read_conn = self._connect()
        return self._read_conn.execute(sql, params).fetchall()

    # A read first waits for the messages submitted before it, and gets those of its room still
    # in the journal: it answers from them and from the `messages` table together (a row can be
    # in both when the writer moved it meanwhile).

    async def page(self, room: str, before: int | None, limit: int) -> list[ChatMessage]:
        if limit <= 0:
            return []
        upper = before if before is not None else 2**63 - 1
        journaled = [row for row in await self._barrier(room) if row[1] < upper]
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (room, upper, limit),
            inline=limit <= _INLINE_ROWS,
        )
        return _in_id_order(rows, journaled)[-limit:]

    async def after(self, room: str, after_id: int, limit: int) -> list[ChatMessage]:
        if limit <= 0:
            return []
        journaled = [row for row in await self._barrier(room) if row[1] > after_id]
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM messages WHERE room = ? AND id > ? ORDER BY id LIMIT ?",
            (room, after_id, limit),
            inline=limit <= _INLINE_ROWS,
        )
        return _in_id_order(rows, journaled)[:limit]

    async def last_id(self, room: str) -> int:
        rows = await self._read("SELECT last_id FROM rooms WHERE name = ?", (room,))
        return int(rows[0][0]) if rows else 0

    async def rooms(self) -> list[RoomSummary]:
        rows = await self._read(
            "SELECT name, last_id, topic, private FROM rooms WHERE deleted = 0 ORDER BY name",
            (),
            inline=False,  # every room
        )
        return [
            RoomSummary(name, last, topic, bool(private)) for name, last, topic, private in rows
        ]

    async def room(self, name: str) -> RoomSummary | None:
        rows = await self._read(
            "SELECT name, last_id, topic, private FROM rooms WHERE name = ? AND deleted = 0",
            (name,),
        )
        if not rows:
            return None
        room, last, topic, private = rows[0]
        return RoomSummary(room, last, topic, bool(private))

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
                "UPDATE rooms SET deleted = 1, topic = '', private = 0, owner_id = NULL,"
                " owner_name = NULL WHERE name = ? AND deleted = 0",
                (name,),
            )
            if cursor.rowcount != 1:
                return False
            for table in ("messages", "room_roles", "sanctions"):
                conn.execute(f"DELETE FROM {table} WHERE room = ?", (name,))
            return True

        await self._settled()
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

        await self._settled()
        return await self._admin(store)

    # -- accounts, credentials, roles, sanctions, audit -----------------------------------------

    async def create_account(self, account: Account) -> bool:
        def create(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                f"INSERT INTO accounts ({_ACCOUNT}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (account.id, account.name, account.key, account.password_hash, account.created_ms),
            )
            return cursor.rowcount == 1

        return await self._admin(create)

    async def account_by_key(self, key: str) -> Account | None:
        rows = await self._read(f"SELECT {_ACCOUNT} FROM accounts WHERE key = ?", (key,))
        return Account(*rows[0]) if rows else None

    async def account_by_id(self, account_id: str) -> Account | None:
        rows = await self._read(f"SELECT {_ACCOUNT} FROM accounts WHERE id = ?", (account_id,))
        return Account(*rows[0]) if rows else None

    async def add_credential(self, credential: Credential) -> None:
        await self._admin(
            lambda conn: conn.execute(
                f"INSERT INTO credentials ({_CREDENTIAL}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                dataclass_row(credential),
            )
        )

    async def credential(self, secret_hash: str, now_ms: int) -> tuple[Credential, Account] | None:
        rows = await self._read(
            f"SELECT {', '.join('c.' + c for c in _CREDENTIAL.split(', '))},"
            f" {', '.join('a.' + c for c in _ACCOUNT.split(', '))}"
            " FROM credentials c JOIN accounts a ON a.id = c.account_id"
            " WHERE c.secret_hash = ? AND (c.expires_ms IS NULL OR c.expires_ms > ?)",
            (secret_hash, now_ms),
        )
        if not rows:
            return None
        return Credential(*rows[0][:7]), Account(*rows[0][7:])

    async def credentials(self, account_id: str, kind: str) -> list[Credential]:
        rows = await self._read(
            f"SELECT {_CREDENTIAL} FROM credentials WHERE account_id = ? AND kind = ?"
            " AND (expires_ms IS NULL OR expires_ms > ?) ORDER BY created_ms, id",
            (account_id, kind, time.time_ns() // 1_000_000),
        )
        return [Credential(*row) for row in rows]

    async def delete_credential(self, credential_id: str, account_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM credentials WHERE id = ? AND account_id = ?",
                (credential_id, account_id),
            )
            return cursor.rowcount == 1

        return await self._admin(delete)

    async def room_access(self, name: str) -> RoomAccess:
        rows = await self._read(
            "SELECT topic, private, owner_id, owner_name FROM rooms WHERE name = ? AND deleted = 0",
            (name,),
        )
        roles = await self._read(
            "SELECT account_id, name, role FROM room_roles WHERE room = ? ORDER BY name", (name,)
        )
        topic, private, owner_id, owner_name = rows[0] if rows else ("", 0, None, None)
        return RoomAccess(
            name,
            topic,
            bool(private),
            owner_id,
            owner_name,
            {account: who for account, who, role in roles if role == "moderator"},
            {account: who for account, who, role in roles if role == "member"},
        )

    async def claim_room(
        self, name: str, owner_id: str, owner_name: str, private: bool, topic: str
    ) -> bool:
        def claim(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT INTO rooms"
                " (name, last_id, created_ms, topic, private, owner_id, owner_name) VALUES"
                " (?, 0, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET deleted = 0, topic = excluded.topic,"
                " private = excluded.private, owner_id = excluded.owner_id,"
                " owner_name = excluded.owner_name WHERE deleted = 1",
                (name, time.time_ns() // 1_000_000, topic, int(private), owner_id, owner_name),
            )
            return cursor.rowcount == 1

        return await self._admin(claim)

    async def set_topic(self, name: str, topic: str) -> None:
        await self._admin(
            lambda conn: conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms, topic) VALUES (?, 0, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET topic = excluded.topic",
                (name, time.time_ns() // 1_000_000, topic),
            )
        )

    async def set_role(self, room: str, account_id: str, name: str, role: str | None) -> None:
        def assign(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, 0, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (room, time.time_ns() // 1_000_000),
            )
            if role is None:
                conn.execute(
                    "DELETE FROM room_roles WHERE room = ? AND account_id = ?", (room, account_id)
                )
            else:
                conn.execute(
                    "INSERT INTO room_roles (room, account_id, name, role) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (room, account_id) DO UPDATE"
                    " SET name = excluded.name, role = excluded.role",
                    (room, account_id, name, role),
                )

        await self._admin(assign)

    async def add_sanction(self, sanction: Sanction) -> int:
        def add(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                f"INSERT INTO sanctions ({_SANCTION.removesuffix(', id')})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                dataclass_row(sanction)[:-1],
            )
            return int(cursor.lastrowid or 0)

        return await self._admin(add)

    async def sanctions(self, room: str, now_ms: int) -> list[Sanction]:
        rows = await self._read(
            f"SELECT {_SANCTION} FROM sanctions WHERE room = ?"
            " AND (until_ms IS NULL OR until_ms > ?) ORDER BY id",
            (room, now_ms),
        )
        return [Sanction(*row) for row in rows]

    async def lift_sanctions(
        self, room: str, kind: str, *, account_id: str | None, name_key: str
    ) -> int:
        def lift(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM sanctions WHERE room = ? AND kind = ?"
                " AND (account_id = ? OR name_key = ?)",
                (room, kind, account_id, name_key),
            )
            return cursor.rowcount

        return await self._admin(lift)

    async def delete_message(self, room: str, message_id: int) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM messages WHERE room = ? AND id = ?", (room, message_id)
            )
            return cursor.rowcount == 1

        await self._settled()
        return await self._admin(delete)

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._admin(
            lambda conn: conn.execute(
                "INSERT INTO audit_log (time_ms, actor, action, room, target, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                dataclass_row(entry),
            )
        )

    async def audit_log(self, room: str | None, limit: int) -> list[AuditEntry]:
        rows = await self._read(
            "SELECT time_ms, actor, action, room, target, detail FROM audit_log"
            " WHERE ? IS NULL OR room = ? ORDER BY id DESC LIMIT ?",
            (room, room, limit),
            inline=False,  # may pass over much of the log to find one room's entries
        )
        return [AuditEntry(*row) for row in rows]


def _in_id_order(*sources: list[tuple[Any, ...]]) -> list[ChatMessage]:
    """Messages from rows of one room (``messages`` columns), once each, in ID order."""
    by_id = {row[1]: row for rows in sources for row in rows}
    return [ChatMessage(*by_id[message_id]) for message_id in sorted(by_id)]


def dataclass_row(value: Any) -> tuple[Any, ...]:
    """The fields of a store dataclass, in declaration order, as SQL parameters."""
    return tuple(getattr(value, f.name) for f in dataclasses.fields(value))
