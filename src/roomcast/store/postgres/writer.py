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
another node, a deadlock) is retried.

A change to a message (``change``) is queued too and made in its own transaction (change.py)
once the lines queued before it are committed, so it always finds them.
"""

from __future__ import annotations

import asyncio
import logging
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
    ref_key,
    report,
    report_all,
)
from roomcast.store.changes import as_line
from roomcast.store.postgres.change import change_on
from roomcast.store.postgres.events import EVENT, event
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.sql import IN_DOUBT, RACED, UNAVAILABLE, Conn
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
    """The queue of appends and changes, and the task that commits it."""

    def __init__(self, pool: Pool, max_pending: int) -> None:
        self._pool = pool
        self._max_pending = max_pending
        self._queue: deque[Submission | _Queued] = deque()
        self._changes = 0  # how many of the queued are changes
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
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

    def submit(self, message: NewMessage, done: AppendDone) -> None:
        if self._closed or self._task is None:
            report(done, StoreUnavailable("the store is closed"))
        elif len(self._queue) >= self._max_pending:
            report(done, StoreUnavailable("the store is overloaded; try again"))
        else:
            self._queue.append((done, message))
            self._wakeup.set()

    async def change(self, change: Change) -> Changed:
        if self._closed or self._task is None:
            raise StoreUnavailable("the store is closed")
        if len(self._queue) >= self._max_pending:
            raise StoreUnavailable("the store is overloaded; try again")
        future: asyncio.Future[Changed] = asyncio.get_running_loop().create_future()
        self._queue.append((future, change))
        self._changes += 1
        self._wakeup.set()
        return await future

    async def _write_loop(self) -> None:
        while True:
            if not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if self._changes == 0:  # only lines are queued
                count = min(len(self._queue), _MAX_BATCH)
                batch = cast(list[Submission], [self._queue.popleft() for _ in range(count)])
            else:
                batch = self._lines_before_a_change()
                if not batch:
                    await self._change(self._queue.popleft())
                    continue
            try:
                outcome = await self._commit(batch)
            except Exception as exc:  # never let the writer die: fail the batch, go on
                log.exception("PostgreSQL append failed")
                error = StoreUnavailable(f"the message store failed: {exc}")
                outcome = failed(batch, error)
            report_all(outcome)

    def _lines_before_a_change(self) -> list[Submission]:
        """The lines queued before the first change (none when a change is first)."""
        batch: list[Submission] = []
        while self._queue and len(batch) < _MAX_BATCH:
            item = self._queue[0]
            if isinstance(item[1], Change):
                break
            batch.append(cast(Submission, self._queue.popleft()))
        return batch

    async def _change(self, item: Submission | _Queued) -> None:
        future, change = item
        assert isinstance(change, Change)
        assert isinstance(future, asyncio.Future)
        self._changes -= 1
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

    async def _commit(self, batch: list[Submission]) -> Outcomes:
        try:
            outcome = await self._run(lambda conn: _commit_on(conn, batch))
        except StoreUnavailable as error:
            log.debug("PostgreSQL commit of %d messages failed: %s", len(batch), error)
            self._outage.failed(error, len(batch))
            return failed(batch, error)
        self._outage.ok()
        return outcome

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
        raise StoreUnavailable(f"the message store is unavailable: {failure}")


async def _commit_on(conn: Conn, batch: list[Submission]) -> Outcomes:
    """Store the batch in one statement; messages whose ref was seen come back as duplicates."""
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
