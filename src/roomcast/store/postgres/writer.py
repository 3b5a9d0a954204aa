"""The PostgreSQL commit path: one writer task per node drains the queue of appends.

Whatever queued up while a commit ran is committed next, as one statement (client refs first
checked in one query), so a busy node pays one round trip and one WAL flush per batch. Outcomes
are reported in submission order. Message IDs are assigned by PostgreSQL in the statement that
inserts the messages: the room's row in ``rooms`` is bumped with ``INSERT .. ON CONFLICT DO
UPDATE .. RETURNING last_id``, which holds the row's lock until commit, so the IDs of a room are
strictly increasing and gapless across all nodes and commit in ID order (a reader never sees ID
7 before ID 6 is visible). When PostgreSQL cannot be reached, or a statement fails, every append
of the batch fails with ``StoreUnavailable``; when the connection is lost after the insert was
sent and before its reply, with ``OutcomeUnknown`` (it may have committed: a re-send with the
same ref is answered from the earlier row; nothing is retried here, since a line without a ref
could then be stored twice). A batch that lost a race (a unique ``(sender, ref)`` taken by
another node, a deadlock) is retried. A PostgreSQL that hangs (stopped, a dropped network path)
gives every line its outcome within the store's timeout all the same (``Writer``).

A change to a message (``change``) is queued too and made in its own transaction (change.py)
once the lines queued before it are committed, so it always finds them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar, cast

from roomcast.outage import OutageLog
from roomcast.store.base import (
    AppendDone,
    Appended,
    AppendsAsFutures,
    Change,
    Changed,
    ChangeRefused,
    NewMessage,
    Outcomes,
    OutcomeUnknown,
    StoreUnavailable,
    Submission,
    failed,
    queued_size,
    ref_key,
    report,
    report_all,
    take_outcome,
)
from roomcast.store.changes import as_line
from roomcast.store.postgres.change import change_on
from roomcast.store.postgres.events import EVENT, event
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import IN_DOUBT, RACED, UNAVAILABLE, Conn, unavailable
from roomcast.store.search import indexed_text
from roomcast.wire.attachments import stored_attachments
from roomcast.wire.protocol import ChatMessage

log = logging.getLogger(__name__)

_MAX_BATCH: Final = 2000
_T = TypeVar("_T")
# A queued change, with the future its caller awaits.
_Queued = tuple["asyncio.Future[Changed]", Change]
_RETRIES: Final = 3

# $1..$13: room, author, body, wsid, sent_ms, sender, ref, owner, reply_to, thread, mentions
# (an array literal, NULL for none: the arrays of a batch differ in length), the folded body
# (``search.indexed_text``, for the ``words`` searched) and attachments (the JSON of
# ``wire.attachments.stored_attachments``) of each new message, in submission order. Returns each
# room's last ID after the batch; the k-th message of a room that got n messages has ID
# last_id - n + k.
APPEND: Final = """
WITH batch AS (
  SELECT m.*, row_number() OVER (PARTITION BY m.room ORDER BY m.ord) AS k
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
              $8::text[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[])
       WITH ORDINALITY AS m(room, author, body, wsid, sent_ms, sender, ref, owner, reply_to, thread,
                            mentions, folded, attachments, ord)
), counts AS (
  SELECT room, count(*) AS n, min(sent_ms) AS created FROM batch GROUP BY room
), bumped AS (
  INSERT INTO rooms AS r (name, last_id, created_ms)
  SELECT room, n, created FROM counts ORDER BY room COLLATE "C"
  ON CONFLICT (name) DO UPDATE SET last_id = r.last_id + excluded.last_id, deleted = false
  RETURNING name, last_id
), inserted AS (
  INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref, owner, reply_to, thread,
                        mentions, words, attachments)
  SELECT b.room, bumped.last_id - c.n + b.k, b.author, b.body, b.wsid, b.sent_ms, b.sender, b.ref,
         b.owner, b.reply_to, b.thread, b.mentions::text[], to_tsvector('simple', b.folded),
         b.attachments
  FROM batch b JOIN counts c ON c.room = b.room JOIN bumped ON bumped.name = b.room
)
SELECT name, last_id FROM bumped
"""

_FIND_REFS: Final = f"""
SELECT {", ".join("m." + c for c in EVENT.split(", "))}, m.sender AS ref_sender, m.ref AS ref_key
FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(sender, ref)
  ON m.sender = k.sender AND m.ref = k.ref
WHERE m.ref IS NOT NULL
"""


class Writer(AppendsAsFutures):
    """The queue of appends and changes, and the task that commits it.

    Every line gets its outcome within ``timeout`` seconds of its submission: one still queued
    then, or in a commit that has not sent its insert yet, is refused (``StoreUnavailable``: it
    was not stored), one whose insert got no answer yet gets ``OutcomeUnknown``. An abandoned
    commit is left to end on its own (cancelling it would wait on the hung server too) and sends
    no insert after that. The queue holds at most
    ``max_pending`` items and ``max_bytes`` bytes (``queued_size``); beyond either it refuses.
    """

    def __init__(self, pool: Pool, max_pending: int, *, timeout: float, max_bytes: int) -> None:
        self._pool = pool
        self._max_pending = max_pending
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._queue: deque[Submission | _Queued] = deque()
        self._born: deque[float] = deque()  # when each queued item was submitted (monotonic)
        self._bytes = 0  # queued_size of everything queued
        self._changes = 0  # how many of the queued are changes
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Abandoned commits still running: kept, since the loop keeps only weak references.
        self._abandoned: set[asyncio.Future[None]] = set()
        self._closed = False
        self._outage = OutageLog("PostgreSQL", log)

    def start(self) -> None:
        self._closed = False
        self._wakeup = asyncio.Event()
        self._task = asyncio.create_task(self._write_loop(), name="roomcast-postgres-write")

    async def close(self) -> None:
        """Commit everything submitted so far, then end the task."""
        self._closed = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    def _full(self, item: NewMessage | Change) -> StoreUnavailable | None:
        """Why ``item`` cannot be queued now, if it cannot."""
        if self._closed or self._task is None:
            return StoreUnavailable("the store is closed")
        if len(self._queue) >= self._max_pending or self._bytes >= self._max_bytes:
            return StoreUnavailable("the store is overloaded; try again")
        return None

    def _put(self, item: Submission | _Queued) -> None:
        self._queue.append(item)
        self._born.append(time.monotonic())
        self._bytes += queued_size(item[1])
        self._wakeup.set()

    def _take(self) -> Submission | _Queued:
        item = self._queue.popleft()
        self._born.popleft()
        self._bytes -= queued_size(item[1])
        if isinstance(item[1], Change):
            self._changes -= 1
        return item

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        refused = self._full(message)
        if refused is not None:
            report(done, refused)
        else:
            self._put((done, message))

    async def change(self, change: Change) -> Changed:
        refused = self._full(change)
        if refused is not None:
            raise refused
        future: asyncio.Future[Changed] = asyncio.get_running_loop().create_future()
        self._changes += 1
        self._put((future, change))
        return await future

    async def _write_loop(self) -> None:
        while True:
            if not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            self._expire(time.monotonic() - self._timeout)  # waited behind an abandoned commit
            if not self._queue:
                continue
            born = self._born[0]
            if self._changes == 0:  # only lines are queued
                count = min(len(self._queue), _MAX_BATCH)
                batch = cast(list[Submission], [self._take() for _ in range(count)])
            else:
                batch = self._lines_before_a_change()
                if not batch:
                    item = self._take()
                    future = item[0]
                    assert isinstance(future, asyncio.Future)
                    abandon_change = functools.partial(self._abandon_change, future)
                    await self._bounded(self._change(item), born, abandon_change)
                    continue
            attempt = _Attempt(batch)
            await self._bounded(
                self._commit(attempt), born, functools.partial(self._abandon, attempt)
            )

    async def _bounded(
        self, work: Awaitable[None], born: float, abandon: Callable[[], None]
    ) -> None:
        """Wait for ``work`` (a commit, or a change) to end; once it has waited ``timeout``
        since ``born`` (when its oldest item came), ``abandon`` it: its callers are answered, it
        ends unawaited. What is still queued came after ``born``, so its own deadline comes
        later: the write loop refuses it then (``_expire``)."""
        task = asyncio.ensure_future(work)
        await asyncio.wait([task], timeout=max(born + self._timeout - time.monotonic(), 0.0))
        if not task.done():
            abandon()
            self._abandoned.add(task)
            task.add_done_callback(self._forget)
            return
        await task

    def _abandon(self, attempt: _Attempt) -> None:
        """A commit did not answer in time: once its insert was sent its lines may or may not be
        stored; before, they certainly are not (nor will be)."""
        attempt.abandoned = True
        batch = attempt.batch
        error = self._not_answering(OutcomeUnknown if attempt.sent else StoreUnavailable)
        log.debug("PostgreSQL commit of %d messages abandoned: %s", len(batch), error)
        self._outage.failed(error, len(batch))
        report_all(failed(batch, error))

    def _abandon_change(self, future: asyncio.Future[Changed]) -> None:
        """A change did not answer in time: it may yet be applied (a re-send with its Ref is
        applied once)."""
        if not future.done():
            future.set_exception(self._not_answering(OutcomeUnknown))

    def _forget(self, task: asyncio.Future[None]) -> None:
        """An abandoned commit ended: take its outcome, which nobody awaits."""
        self._abandoned.discard(task)
        take_outcome(task)

    def _expire(self, submitted_before: float) -> None:
        """Refuse what was queued before ``submitted_before``: it was never sent."""
        expired: list[Submission] = []
        while self._born and self._born[0] <= submitted_before:
            future_or_done, item = self._take()
            if isinstance(item, Change):
                assert isinstance(future_or_done, asyncio.Future)
                if not future_or_done.done():
                    future_or_done.set_exception(self._not_answering())
            else:
                assert not isinstance(future_or_done, asyncio.Future)
                expired.append((future_or_done, item))
        if expired:
            error = self._not_answering()
            log.debug("%d queued messages refused: %s", len(expired), error)
            self._outage.failed(error, len(expired))
            report_all(failed(expired, error))

    def _not_answering(self, kind: type[StoreUnavailable] = StoreUnavailable) -> StoreUnavailable:
        return kind(f"the message store did not answer within {self._timeout:g} s")

    def _lines_before_a_change(self) -> list[Submission]:
        """The lines queued before the first change (none when a change is first)."""
        batch: list[Submission] = []
        while self._queue and len(batch) < _MAX_BATCH:
            item = self._queue[0]
            if isinstance(item[1], Change):
                break
            batch.append(cast(Submission, self._take()))
        return batch

    async def _change(self, item: Submission | _Queued) -> None:
        future, change = item
        assert isinstance(change, Change)
        assert isinstance(future, asyncio.Future)
        try:
            outcome = await self._run(lambda conn: change_on(conn, change))
        except Exception as exc:  # refused, unavailable or failed: the caller hears of it
            if not isinstance(exc, ChangeRefused | StoreUnavailable):
                log.exception("PostgreSQL change failed")
                exc = StoreUnavailable(f"the message store failed: {exc}")
            if not future.done():  # else the awaiting caller was cancelled
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(outcome)

    async def _commit(self, attempt: _Attempt) -> None:
        """Commit a batch and report its outcomes, unless it was abandoned meanwhile."""
        batch = attempt.batch
        try:
            outcome = await self._run(lambda conn: _commit_on(conn, attempt))
        except StoreUnavailable as error:
            if attempt.abandoned:
                return
            log.debug("PostgreSQL commit of %d messages failed: %s", len(batch), error)
            self._outage.failed(error, len(batch))
            report_all(failed(batch, error))
            return
        except Exception as exc:  # never let the writer die: fail the batch, go on
            if attempt.abandoned:
                return
            log.exception("PostgreSQL append failed")
            report_all(failed(batch, StoreUnavailable(f"the message store failed: {exc}")))
            return
        self._outage.ok()
        if not attempt.abandoned:
            report_all(outcome)

    async def _run(self, work: Callable[[Conn], Awaitable[_T]]) -> _T:
        """``work`` on a pooled connection, again when it raced another node."""
        failure: BaseException | None = None
        for _ in range(_RETRIES):
            try:
                async with self._pool.acquire() as conn:
                    return await work(conn)
            except RACED as exc:
                failure = exc
            except UNAVAILABLE as exc:
                failure = exc
                break
        assert failure is not None
        raise unavailable(failure)


class _Attempt:
    """One commit of ``batch``: ``sent`` once its insert was sent, ``abandoned`` once its lines
    were given their outcome without it, after which it sends no insert."""

    __slots__ = ("abandoned", "batch", "sent")

    def __init__(self, batch: list[Submission]) -> None:
        self.batch = batch
        self.sent = False
        self.abandoned = False


async def _commit_on(conn: Conn, attempt: _Attempt) -> Outcomes:
    """Store the batch in one statement; messages whose ref was seen come back as duplicates."""
    batch = attempt.batch
    keys = [ref_key(new.ref) for _, new in batch]
    earlier: dict[tuple[str | None, str], Appended] = {}
    wanted = [(new.sender, key) for (_, new), key in zip(batch, keys, strict=True) if key]
    if wanted:
        senders, refs = zip(*wanted, strict=True)
        for row in await conn.fetch(_FIND_REFS, list(senders), list(refs)):
            found = Appended(as_line(event(row)), duplicate=True)
            earlier[(row["ref_sender"], row["ref_key"])] = found
    fresh: list[tuple[int, NewMessage]] = []  # (index in batch, message)
    first_of_ref: dict[tuple[str | None, str], int] = {}
    for index, ((_, new), key) in enumerate(zip(batch, keys, strict=True)):
        if key is not None:
            if (new.sender, key) in earlier or (new.sender, key) in first_of_ref:
                continue
            first_of_ref[(new.sender, key)] = index
        fresh.append((index, new))
    if attempt.abandoned:  # its lines were answered: storing them now would be a surprise
        raise StoreUnavailable("the commit was abandoned")
    attempt.sent = True
    ids = await _insert(conn, fresh, keys) if fresh else {}
    outcome: Outcomes = []
    for index, ((done, new), key) in enumerate(zip(batch, keys, strict=True)):
        if index in ids:
            outcome.append((done, Appended(_stored(new, ids[index]), duplicate=False)))
            continue
        assert key is not None
        known = earlier.get((new.sender, key))
        if known is None:
            first = first_of_ref[(new.sender, key)]
            known = Appended(_stored(batch[first][1], ids[first]), duplicate=True)
        outcome.append((done, known))
    return outcome


def _stored(new: NewMessage, message_id: int) -> ChatMessage:
    """The line ``new`` as stored with ID ``message_id``."""
    return ChatMessage(
        new.room, message_id, new.author, new.text, new.wsid, new.sent_ms,
        new.reply_to, new.thread, mentions=new.mentions, attachments=new.attachments,
    )  # fmt: skip


def _array(items: tuple[str, ...]) -> str | None:
    """``items`` as a PostgreSQL array literal (quoted, escaped); None when empty."""
    if not items:
        return None
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "{" + ",".join(quoted) + "}"


async def _insert(
    conn: Conn, fresh: list[tuple[int, NewMessage]], keys: list[str | None]
) -> dict[int, int]:
    """Insert the ``fresh`` messages (by their index in the batch) in one statement; their IDs."""
    news = [new for _, new in fresh]
    columns: list[list[Any]] = [
        [new.room for new in news],
        [new.author for new in news],
        [new.text for new in news],
        [new.wsid for new in news],
        [new.sent_ms for new in news],
        [new.sender for new in news],
        [keys[index] for index, _ in fresh],
        [new.owner for new in news],
        [new.reply_to for new in news],
        [new.thread for new in news],
        [_array(new.mentions) for new in news],
        [indexed_text(new.text) for new in news],
        [stored_attachments(new.attachments) for new in news],
    ]
    try:
        rows = await conn.fetch(APPEND, *columns)
    except IN_DOUBT as exc:  # sent, no reply: committed or not, nobody here can tell
        raise OutcomeUnknown(f"the message store's reply was lost: {exc}") from exc
    last_ids = {row[0]: int(row[1]) for row in rows}
    counts: dict[str, int] = {}
    for _, new in fresh:
        counts[new.room] = counts.get(new.room, 0) + 1
    seen: dict[str, int] = {}
    ids: dict[int, int] = {}
    for index, new in fresh:
        seen[new.room] = k = seen.get(new.room, 0) + 1
        ids[index] = last_ids[new.room] - counts[new.room] + k
    return ids
