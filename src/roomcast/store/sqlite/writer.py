"""The SQLite commit path: one thread owns the write connection.

Appends queue up while a commit runs and are then committed together, so the event loop never
waits on the disk and a busy room costs one commit per batch, not per message. A commit appends
its messages to the journal table as one row (journal.py); the writer moves journal rows into the
``messages`` table once thousands have gathered or a second has passed, a slice at a time with
commits between the slices, and all at once when a write needs them there. Every
other write of the server (accounts, credentials, roles, sanctions, the audit log, the rooms'
administration) runs on the same connection and thread, in a transaction of its own between two
commits, so none opens a connection or waits for SQLite's write lock. A write from another
process (an admin command) is noticed through ``PRAGMA data_version``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Final, TypeVar, cast

import orjson

from roomcast.outage import OutageLog
from roomcast.store.base import (
    AppendDone,
    Appended,
    AppendsAsFutures,
    Change,
    Changed,
    NewMessage,
    Outcomes,
    StoreUnavailable,
    Submission,
    failed,
    queued_size,
    ref_key,
    report,
    report_all,
)
from roomcast.store.changes import as_line
from roomcast.store.sqlite.checkpoint import Checkpointer
from roomcast.store.sqlite.connection import Synchronous, connect, open_writer
from roomcast.store.sqlite.conversation import apply_change
from roomcast.store.sqlite.journal import (
    JOURNAL_INSERT,
    ROOMS_UPSERT,
    ROOMS_UPSERT_TAIL,
    CatchUp,
    Journaled,
    Refs,
    insert_many,
)
from roomcast.store.sqlite.rows import find_ref, stored_mentions, stored_owner
from roomcast.wire.attachments import stored_attachments
from roomcast.wire.protocol import ChatMessage

log = logging.getLogger(__name__)

_MAX_BATCH: Final = 2000
_STOP: Final = object()
# A commit has a fixed cost (the transaction, the journal row, the rooms' last IDs) however many
# messages it holds, so under load the writer gathers them: it keeps its CPU to about this share
# of the time, waiting at most _MAX_COMMIT_DELAY before a commit.
_WRITER_SHARE: Final = 0.2
_MAX_COMMIT_DELAY: Final = 0.01
# Journal rows move into `messages` once this many messages have gathered, or once the oldest has
# waited this long. A move rewrites some three B-tree pages per room it writes to (the room's last
# leaf is full, so SQLite rebalances it with its neighbours) however few rows the room gets, and a
# checkpoint copies each of them again: in 100 busy rooms, moves of 2,048 wrote 0.23 WAL frames
# per message and cost the writer 4.2 us per message, checkpoints included; moves of 8,192 0.15
# and 3.5 us, 16,384 no less (`bench/micro/sqlite_rooms.py moves`). A move of 8,192 in one
# transaction held the commits behind it, and so the delivery of their lines, for 40-80 ms
# (`bench/micro/stalls.py`, 100 rooms x 10): a move goes in slices of MOVE_SLICE messages,
# sorted by room, each a transaction of its own, with the commits of new lines between them.
MOVE_ROWS: Final = 8192
MOVE_SLICE: Final = 1024
_MOVE_AGE: Final = 1.0

# ``run_later``'s writes are handed over at the latest this long after the first of them, so
# the clients connecting over that time share one wake-up of the writer and one transaction.
_LATER: Final = 0.01

_T = TypeVar("_T")


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Resolve ``future`` on the loop's thread, unless its awaiting caller was cancelled."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


_Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]


def _settle_all(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        _settle(future, result, error)


def _together(conn: sqlite3.Connection, group: list[_Exclusive]) -> list[_Outcome]:
    """Run several exclusive writes in one transaction: their outcomes, none when there are
    fewer than two or the transaction failed (then each must run alone)."""
    if len(group) < 2:
        return []
    try:
        conn.execute("BEGIN IMMEDIATE")
        results = [exclusive.work(conn) for exclusive in group]
        conn.execute("COMMIT")
    except Exception:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return []
    return [(e.done, result, None) for e, result in zip(group, results, strict=True)]


@dataclasses.dataclass(slots=True)
class _Barrier:
    """Queued behind earlier appends, released once they are committed, with what ``pick``
    takes from the messages still in the journal, for a read to add to what it finds in
    ``messages``."""

    pick: Callable[[Journaled], list[tuple[Any, ...]]]
    released: asyncio.Future[list[tuple[Any, ...]]]


@dataclasses.dataclass(slots=True)
class _Exclusive:
    """A write to run on the writer's connection in a transaction of its own, once every earlier
    append is committed; with ``settle``, once every earlier message is in ``messages`` too (it
    writes to them, or to the rooms' last IDs: the writer's cached ones are dropped after it,
    unless ``keeps_ids``, for a write that keeps them right itself)."""

    work: Callable[[sqlite3.Connection], Any]
    settle: bool
    done: asyncio.Future[Any]
    keeps_ids: bool = False


@dataclasses.dataclass(slots=True)
class _Appends:
    """One loop iteration's appends, with the sum of their ``queued_size``: summed as they are
    submitted, since a sum over the batch on the writer thread cost it 2,216 instructions a line
    (callgrind of bench/micro/line_cost.py, see docs/decisions.md)."""

    submissions: list[Submission]
    size: int


# A tuple: the exclusive writes of one event-loop iteration that wait for no move (``_hand_over``).
_Item = _Appends | tuple[_Exclusive | _Barrier, ...] | _Barrier | _Exclusive | object


class Mover:
    """When the writer thread moves its journal into ``messages``: a slice at a time while a
    move is under way, and after a failed slice not again before ``_MOVE_AGE`` has passed.
    ``catch_up``: the writer's check for writes of other connections, run in each move."""

    def __init__(self, journaled: Journaled, catch_up: CatchUp) -> None:
        self._journaled = journaled
        self._catch_up = catch_up
        self._slice_at = 0.0  # after a failed slice: when the next may try again

    def idle_for(self) -> float | None:
        """How long the writer may wait for the queue: until a move under way may take its next
        slice, or until the oldest journaled message is due to move."""
        if self._journaled.moving:
            return max(0.0, self._slice_at - time.monotonic())
        return self._journaled.due_in(_MOVE_AGE)

    def pause(self, conn: sqlite3.Connection, until: float) -> None:
        """Wait until ``until`` before a commit, moving slices meanwhile while a move is under
        way (the commit then waits for one slice at most beyond ``until``)."""
        while self._journaled.moving and self._slice_at <= time.monotonic() < until:
            self.move_slice(conn)
        wait = until - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def move_all(self, conn: sqlite3.Connection) -> StoreUnavailable | None:
        """Move every journaled message into ``messages``; the error if that fails."""
        count = self._journaled.count
        try:
            self._journaled.move(conn, self._catch_up)
        except sqlite3.Error as exc:
            log.error("moving %d journaled messages failed: %s", count, exc)
            return StoreUnavailable(f"the message store failed: {exc}")
        return None

    def move_slice(self, conn: sqlite3.Connection) -> None:
        """Move the next slice of the move under way (none while a failed one waits)."""
        if time.monotonic() < self._slice_at:
            return
        try:
            self._journaled.move_slice(conn, MOVE_SLICE, self._catch_up)
        except sqlite3.Error as exc:
            log.error("moving journaled messages failed: %s", exc)
            self._slice_at = time.monotonic() + _MOVE_AGE


class Writer(AppendsAsFutures):
    """The writer thread, its connection, its journal record and its checkpoints."""

    def __init__(
        self, path: Path, synchronous: Synchronous, max_pending: int, max_bytes: int
    ) -> None:
        self._path = path
        self._synchronous = synchronous
        self._max_pending = max_pending
        self._max_bytes = max_bytes
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        # Appends of the current event-loop iteration, not yet handed to the writer.
        self._gathering: list[Submission] = []
        self._gathering_bytes = 0
        # Exclusive writes of the current iteration that wait for no move, handed over with them.
        self._writes: list[_Exclusive | _Barrier] = []
        self._soon = False  # a hand-over is due at the end of this iteration
        self._later: asyncio.TimerHandle | None = None  # one is due for ``run_later``'s writes
        self.writing_later = 0  # ``run_later``'s writes not committed yet
        self._pending = 0
        self._pending_bytes = 0  # queued_size of the lines submitted and not yet resolved
        self._last_ids: dict[str, int] = {}
        # PRAGMA data_version as the writer last saw it: it changes when another connection
        # commits.
        self._data_version: int | None = None
        self._journaled = Journaled()
        self._mover = Mover(self._journaled, self._catch_up_with_others)
        self._outage = OutageLog("SQLite", log)  # touched by the writer thread only
        self._thread: threading.Thread | None = None
        self._checkpointer = Checkpointer(lambda: connect(path, synchronous))
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = await asyncio.to_thread(open_writer, self._path, self._synchronous)
        self._checkpointer.start()
        self._thread = threading.Thread(
            target=self._write_loop, args=(conn,), name="roomcast-sqlite-write", daemon=True
        )
        self._thread.start()

    async def close(self) -> None:
        """Commit and move everything submitted so far, then end the threads."""
        if self.closed:
            return
        self.closed = True
        if self._thread is not None:
            self._hand_over()
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
        await asyncio.to_thread(self._checkpointer.stop)

    # -- on the event loop ----------------------------------------------------------------------

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        if self.closed:
            report(done, StoreUnavailable("the store is closed"))
        elif self._pending >= self._max_pending or self._pending_bytes >= self._max_bytes:
            report(done, StoreUnavailable("the store is overloaded; try again"))
        else:
            size = queued_size(message)
            self._pending += 1
            self._pending_bytes += size
            self._gathering_bytes += size
            if not self._soon:  # checked here too: no call per line
                self._hand_over_soon()
            self._gathering.append((done, message))

    def _hand_over_soon(self) -> None:
        """Hand over at the end of this loop iteration (once, however much is queued)."""
        if not self._soon:
            self._soon = True
            (self._loop or asyncio.get_running_loop()).call_soon(self._hand_over)

    def _hand_over(self) -> None:
        """Give this loop iteration's appends, then the exclusive writes and barriers queued
        since the last hand-over, to the writer in one piece each: one thread wake-up, one
        transaction for the writes and one call back for their outcomes, however many clients
        connected or resumed meanwhile."""
        self._soon = False
        batch, self._gathering = self._gathering, []
        if batch:
            self._queue.put(_Appends(batch, self._gathering_bytes))
            self._gathering_bytes = 0
        writes, self._writes = self._writes, []
        if writes:
            self._queue.put(tuple(writes))

    async def journaled_in(self, room: str) -> list[tuple[Any, ...]]:
        """Wait for the writer to commit every message submitted before this call; the rows of
        ``room``'s messages still in the journal (``Journaled.in_room``)."""
        return await self._behind(lambda journaled: journaled.in_room(room))

    async def journaled_lines(self) -> list[tuple[Any, ...]]:
        """As ``journaled_in``, for every room."""
        return await self._behind(lambda journaled: journaled.in_room(None))

    async def journaled_owners(self, rooms: Collection[str]) -> list[tuple[Any, ...]]:
        """As ``journaled_in``, for the lines of ``rooms``: (room, id, owner) of each
        (``Journaled.owners_in``)."""
        return await self._behind(lambda journaled: journaled.owners_in(rooms))

    async def _behind(
        self, pick: Callable[[Journaled], list[tuple[Any, ...]]]
    ) -> list[tuple[Any, ...]]:
        if self.closed:
            raise StoreUnavailable("the store is closed")
        if self._thread is None or (self._pending == 0 and self._journaled.count == 0):
            # Every message submitted has its outcome back (so it was committed or failed) and
            # none is left in the journal (a move counts what it moved after its commit): they
            # are all in ``messages`` and the record has nothing to pick, so no hop to the
            # writer thread and back. A quiet server's joins and reads skip it.
            return []
        loop = asyncio.get_running_loop()
        barrier = _Barrier(pick, loop.create_future())
        self._writes.append(barrier)  # with the writes: one wake-up for many resuming clients
        self._hand_over_soon()
        return await barrier.released

    async def run(self, work: Callable[[sqlite3.Connection], _T], *, settle: bool = False) -> _T:
        """``work``'s result, run on the writer's connection in one transaction (``_Exclusive``).

        ``StoreUnavailable`` when SQLite fails; any other error of ``work`` is raised as it is.
        """
        return await self._exclusive(work, settle, keeps_ids=False)

    async def change(self, change: Change) -> Changed:
        """``MessageStore.change``: after every line submitted before it is in ``messages``."""

        def work(conn: sqlite3.Connection) -> Changed:
            changed = apply_change(conn, change)
            if changed.event is not None and not changed.duplicate:
                self._last_ids[change.room] = changed.event.id
            return changed

        return await self._exclusive(work, True, keeps_ids=True)

    async def _exclusive(
        self, work: Callable[[sqlite3.Connection], _T], settle: bool, *, keeps_ids: bool
    ) -> _T:
        if self.closed:
            raise StoreUnavailable("the store is closed")
        if self._thread is None:
            raise StoreUnavailable("the store is not open")
        loop = asyncio.get_running_loop()
        exclusive = _Exclusive(work, settle, loop.create_future(), keeps_ids)
        if settle:
            self._hand_over()
            self._queue.put(exclusive)
        else:
            self._writes.append(exclusive)
            self._hand_over_soon()
        return cast(_T, await exclusive.done)

    def run_later(self, work: Callable[[sqlite3.Connection], object]) -> asyncio.Future[Any]:
        """Run ``work`` as ``run`` does, in order with the writes queued before and after it,
        without waiting: it goes over with the next hand-over, within ``_LATER`` seconds. Its
        failure is logged; the future returned is done once it has run. A guest's first room is
        written so at each connect: a hop to the writer thread and back cost the connect some 5
        context switches and about 100 us of server CPU (bench/micro/connect_cost.py, roomcast
        against roomcast-mem)."""
        if self.closed or self._thread is None:
            raise StoreUnavailable("the store is not open")
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        done.add_done_callback(self._written_later)
        self.writing_later += 1
        self._writes.append(_Exclusive(work, False, done))
        if self._later is None:
            self._later = loop.call_later(_LATER, self._hand_over_later)
        return done

    def _hand_over_later(self) -> None:
        self._later = None
        self._hand_over()

    def _written_later(self, done: asyncio.Future[Any]) -> None:
        self.writing_later -= 1
        if done.exception() is not None:
            log.error("a write failed", exc_info=done.exception())

    async def settled(self) -> None:
        """Wait until every message submitted before this call is in the ``messages`` table."""
        await self.run(lambda conn: None, settle=True)

    def _resolve(self, outcome: Outcomes, size: int) -> None:
        self._pending -= len(outcome)
        self._pending_bytes -= size
        report_all(outcome)

    # -- on the writer thread -------------------------------------------------------------------

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        next_commit = 0.0
        journaled, mover = self._journaled, self._mover
        assert self._loop is not None
        try:
            while True:
                try:
                    item = self._queue.get(timeout=mover.idle_for())
                except queue.Empty:
                    # Nothing else to do: go on moving, or start once the oldest journaled
                    # message has waited _MOVE_AGE.
                    journaled.start_move()
                    mover.move_slice(conn)
                    continue
                if isinstance(item, _Appends):
                    # Group commit: after a commit that took the writer c seconds of CPU, the
                    # next starts c / _WRITER_SHARE later at the earliest, so under load the rows
                    # of several loop iterations share one commit. After a quiet spell, at once.
                    mover.pause(conn, min(next_commit, time.monotonic() + _MAX_COMMIT_DELAY))
                started, cpu = time.monotonic(), time.thread_time()
                batch, size, barriers, exclusives, stop = self._gather(item)
                if batch:
                    outcome = self._commit(conn, batch)
                    next_commit = started + (time.thread_time() - cpu) / _WRITER_SHARE
                    self._loop.call_soon_threadsafe(self._resolve, outcome, size)
                error = None
                if stop or (exclusives and any(exclusive.settle for exclusive in exclusives)):
                    error = mover.move_all(conn)
                elif journaled.moving:
                    mover.move_slice(conn)  # a slice a commit at least: the move ends
                elif journaled.count >= MOVE_ROWS:
                    journaled.start_move()
                if exclusives:
                    outcomes = _run_all(conn, exclusives, error, self._last_ids)
                    self._loop.call_soon_threadsafe(_settle_all, outcomes)
                if barriers:
                    released: list[_Outcome] = [
                        (b.released, self._journaled_in(conn, b.pick), None) for b in barriers
                    ]
                    self._loop.call_soon_threadsafe(_settle_all, released)
                self._checkpointer.after_commit(conn)
                if stop:
                    return
        finally:
            conn.close()

    def _gather(
        self, first: _Item
    ) -> tuple[list[Submission], int, list[_Barrier], list[_Exclusive], bool]:
        """``first`` and what queued behind it: appends with their ``queued_size``, barriers,
        exclusive writes, and whether to stop."""
        batch: list[Submission] = []
        size = 0
        barriers: list[_Barrier] = []
        exclusives: list[_Exclusive] = []
        item = first
        while True:
            if item is _STOP:
                return batch, size, barriers, exclusives, True
            if isinstance(item, _Barrier):
                barriers.append(item)
            elif isinstance(item, _Exclusive):
                exclusives.append(item)
            elif isinstance(item, tuple):
                for each in item:
                    if isinstance(each, _Barrier):
                        barriers.append(each)
                    else:
                        exclusives.append(each)
            else:
                appends = cast(_Appends, item)
                batch.extend(appends.submissions)
                size += appends.size
            if len(batch) >= _MAX_BATCH:
                return batch, size, barriers, exclusives, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, size, barriers, exclusives, False

    def _commit(self, conn: sqlite3.Connection, batch: list[Submission]) -> Outcomes:
        """Journal ``batch`` in one transaction: IDs assigned, resent refs recognised."""
        outcome: Outcomes = []
        rows: list[tuple[Any, ...]] = []
        seen_refs: Refs = {}
        last_ids: dict[str, int] = {}
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._catch_up_with_others(conn)
            for done, new in batch:
                key = ref_key(new.ref)
                if key is not None:
                    earlier = (
                        seen_refs.get((new.sender, key))
                        or self._journaled.ref((new.sender, key))
                        or self._find_ref(conn, new.sender, key)
                    )
                    if earlier is not None:
                        outcome.append((done, earlier))
                        continue
                last = last_ids.get(new.room)
                if last is None:
                    last = self._last_id_for_write(conn, new.room)
                last_ids[new.room] = message_id = last + 1
                owner = stored_owner(new.owner, new.sender)
                if (
                    owner is None
                    and new.reply_to is None
                    and new.thread is None
                    and not new.mentions
                    and not new.attachments
                ):
                    # A plain line, the common case: built positionally, journaled narrow (see
                    # journal.BARE_WIDTH and PLAIN_WIDTH).
                    message = ChatMessage(
                        new.room, message_id, new.author, new.text, new.wsid, new.sent_ms
                    )
                    rows.append(
                        (new.room, message_id, new.author, new.text, new.wsid, new.sent_ms,
                         new.sender)
                        if key is None
                        else (new.room, message_id, new.author, new.text, new.wsid,
                              new.sent_ms, new.sender, key)
                    )  # fmt: skip
                else:
                    message = ChatMessage(
                        new.room, message_id, new.author, new.text, new.wsid, new.sent_ms,
                        new.reply_to, new.thread, None, (), 0, False, new.mentions,
                        new.attachments,
                    )  # fmt: skip
                    rows.append(
                        (new.room, message_id, new.author, new.text, new.wsid, new.sent_ms,
                         new.sender, key, owner, new.reply_to, new.thread,
                         stored_mentions(new.mentions), stored_attachments(new.attachments))
                    )  # fmt: skip
                stored = Appended(message, False)
                if key is not None:
                    seen_refs[(new.sender, key)] = Appended(message, True)
                outcome.append((done, stored))
            seq = None
            if rows:
                seq = conn.execute(JOURNAL_INSERT, (orjson.dumps(rows),)).lastrowid
            insert_many(
                conn,
                ROOMS_UPSERT,
                [(room, last, batch[0][1].sent_ms) for room, last in last_ids.items()],
                ROOMS_UPSERT_TAIL,
            )
            conn.execute("COMMIT")
        except (sqlite3.Error, ValueError, TypeError) as exc:
            # ValueError, TypeError: text SQLite or JSON cannot encode (a lone surrogate); the
            # batch fails, the writer lives on.
            if isinstance(exc, sqlite3.Error):  # the database: an outage, logged as one
                log.debug("SQLite commit of %d messages failed: %s", len(batch), exc)
                self._outage.failed(exc, len(batch))
            else:
                log.error("SQLite commit of %d messages failed: %s", len(batch), exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._last_ids.clear()
            error = StoreUnavailable(f"the message store failed: {exc}")
            return failed(batch, error)
        self._outage.ok()
        self._last_ids.update(last_ids)
        if seq is not None:
            self._journaled.add(seq, rows, seen_refs)
        return outcome

    def _journaled_in(
        self, conn: sqlite3.Connection, pick: Callable[[Journaled], list[tuple[Any, ...]]]
    ) -> list[tuple[Any, ...]]:
        """What ``pick`` takes from the messages still in the journal."""
        self._catch_up_with_others(conn)
        return pick(self._journaled)

    def _catch_up_with_others(self, conn: sqlite3.Connection) -> None:
        """When another connection wrote (an admin command: ``roomcast history import``, or any
        command opening the database, which moves the journal and may then delete a message),
        drop the cached last IDs and forget journaled messages no longer in the journal."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        self._data_version = version
        self._last_ids.clear()
        self._journaled.forget_moved(conn)

    def _last_id_for_write(self, conn: sqlite3.Connection, room: str) -> int:
        cached = self._last_ids.get(room)
        if cached is not None:
            return cached
        row = conn.execute("SELECT last_id FROM rooms WHERE name = ?", (room,)).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _find_ref(conn: sqlite3.Connection, sender: str | None, key: str) -> Appended | None:
        """The answer to a line re-sent with a ref a line or a change of ``messages`` used."""
        event = find_ref(conn, sender, key)
        return None if event is None else Appended(as_line(event), duplicate=True)


def _run_all(
    conn: sqlite3.Connection,
    exclusives: list[_Exclusive],
    move_error: StoreUnavailable | None,
    last_ids: dict[str, int],
) -> list[_Outcome]:
    """Run the exclusive writes in order (those that waited for a move after it, which failed
    when ``move_error``): their outcomes, for the loop. Neighbours that wait for no move share
    one transaction; when it fails, each runs again alone, so one write's error is its own.
    ``last_ids``: the writer's cached last IDs, which a write that waited for a move may void."""
    outcomes: list[_Outcome] = []
    shared: list[_Exclusive] = []
    for exclusive in (*exclusives, None):
        if exclusive is not None and not exclusive.settle:
            shared.append(exclusive)
            continue
        outcomes += _together(conn, shared) or [_alone(conn, e, None, last_ids) for e in shared]
        shared = []
        if exclusive is not None:
            outcomes.append(_alone(conn, exclusive, move_error, last_ids))
    return outcomes


def _alone(
    conn: sqlite3.Connection,
    exclusive: _Exclusive,
    move_error: StoreUnavailable | None,
    last_ids: dict[str, int],
) -> _Outcome:
    """Run one exclusive write in a transaction of its own: its outcome for the loop."""
    result: Any = None
    error: BaseException | None = move_error if exclusive.settle else None
    if error is None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = exclusive.work(conn)
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = exc
            if isinstance(exc, sqlite3.Error):
                error = StoreUnavailable(f"the message store failed: {exc}")
                error.__cause__ = exc
        if exclusive.settle and (not exclusive.keeps_ids or isinstance(error, StoreUnavailable)):
            last_ids.clear()  # an import raises them; a failed commit leaves them
    return exclusive.done, result, error
