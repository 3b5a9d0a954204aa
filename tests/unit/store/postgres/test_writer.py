"""The PostgreSQL writer: one statement per batch, refs answered within and across batches, every
line answered in time by a store that hangs, a queue bounded in bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from roomcast.store.base import (
    MAX_PENDING_BYTES,
    REACT,
    Appended,
    Change,
    NewMessage,
    OutcomeUnknown,
    StoreUnavailable,
    owner_key,
    queued_size,
)
from roomcast.store.postgres import PostgresStore
from roomcast.store.postgres.pool import Pool
from roomcast.store.postgres.writer import Writer


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    opened = PostgresStore(postgres_url)
    await opened.open()
    yield opened
    await opened.close()


async def test_one_batch_gives_each_room_gapless_ids_and_answers_repeated_refs(
    store: PostgresStore,
) -> None:
    outcomes: list[Appended | StoreUnavailable] = []
    all_in = asyncio.Event()

    def done(outcome: Appended | StoreUnavailable) -> None:
        outcomes.append(outcome)
        if len(outcomes) == len(messages):
            all_in.set()

    messages = [
        NewMessage("a", "alice", "a1", "w1", 1, sender="s1", ref="r1"),
        NewMessage("b", "bob", "b1", "w2", 2),
        NewMessage("a", "alice", "a1 again", "w1", 3, sender="s1", ref="r1"),
        NewMessage("a", "carol", "a2", "w3", 4, sender="s3", ref=1),
        NewMessage("b", "bob", "b2", "w2", 5),
    ]
    for message in messages:  # in one loop iteration: one batch
        store.submit(message, done)
    await asyncio.wait_for(all_in.wait(), 10)
    appended = [o for o in outcomes if isinstance(o, Appended)]
    assert [(o.message.room, o.message.id, o.duplicate) for o in appended] == [
        ("a", 1, False),
        ("b", 1, False),
        ("a", 1, True),
        ("a", 2, False),
        ("b", 2, False),
    ]
    assert appended[2].message.text == "a1"
    again = await store.append(NewMessage("a", "carol", "a2", "w3", 6, sender="s3", ref=1))
    assert (again.duplicate, again.message.id) == (True, 2)
    other = await store.append(NewMessage("a", "carol", "a3", "w3", 7, sender="s3", ref="1"))
    assert (other.duplicate, other.message.id) == (False, 3), "the string ref is another ref"


async def test_close_commits_what_was_submitted(store: PostgresStore) -> None:
    pending = [store.append(NewMessage("a", "alice", f"m{n}", "w1", n)) for n in range(50)]
    await store.close()
    assert [(await p).message.id for p in pending] == list(range(1, 51))
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.append(NewMessage("a", "alice", "late", "w1", 51))
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.last_id("a")


@pytest.fixture
async def hung_writer(postgres_url: str) -> AsyncIterator[tuple[Writer, asyncpg.Connection]]:
    """A writer that gives lines 0.5 s, on a pool of one connection, and a connection that can
    hang its inserts (a lock on ``rooms``), as a PostgreSQL that stops answering would."""
    pool = Pool(postgres_url, size=1, connect_timeout=30, command_timeout=30)
    await pool.open()
    writer = Writer(pool, 100, timeout=0.5, max_bytes=MAX_PENDING_BYTES)
    writer.start()
    locker = await asyncpg.connect(postgres_url)
    yield writer, locker
    await locker.close()
    await writer.close()
    await pool.close()


async def outcome_of(writer: Writer, message: NewMessage) -> asyncio.Future[Appended]:
    """The append's future, once it is done (in 10 s at most)."""
    future = writer.append(message)
    await asyncio.wait([future], timeout=10)
    assert future.done(), "no outcome within 10 s"
    return future


async def test_a_hung_store_answers_every_line_in_time_and_abandoned_lines_stay_unstored(
    hung_writer: tuple[Writer, asyncpg.Connection],
) -> None:
    writer, locker = hung_writer
    await locker.execute("BEGIN; LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE")
    sent = asyncio.ensure_future(outcome_of(writer, NewMessage("a", "al", "x", "w", 1, "s", "r1")))
    await asyncio.sleep(0.1)  # its insert waits on the lock, holding the one connection
    queued = await outcome_of(writer, NewMessage("a", "al", "y", "w", 2, "s", "r2"))
    with pytest.raises(OutcomeUnknown, match=r"did not answer within 0\.5 s"):
        (await sent).result()
    with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.5 s") as refused:
        queued.result()
    assert not isinstance(refused.value, OutcomeUnknown), "never sent: certainly not stored"

    await locker.execute("COMMIT")  # the store answers again
    again = await outcome_of(writer, NewMessage("a", "al", "x", "w", 3, "s", "r1"))
    assert (again.result().duplicate, again.result().message.id) == (True, 1)
    retried = await outcome_of(writer, NewMessage("a", "al", "y", "w", 4, "s", "r2"))
    assert (retried.result().duplicate, retried.result().message.id) == (False, 2)
    rows = await locker.fetch("SELECT id, ref FROM messages ORDER BY id")
    assert [(row["id"], row["ref"]) for row in rows] == [(1, "s:r1"), (2, "s:r2")]


async def test_the_queue_refuses_lines_beyond_its_bytes(postgres_url: str) -> None:
    line = NewMessage("a", "al", "x" * 1000, "w", 1)
    pool = Pool(postgres_url, size=1, connect_timeout=3, command_timeout=5)
    await pool.open()
    writer = Writer(pool, 100, timeout=5, max_bytes=3 * queued_size(line))
    writer.start()
    try:
        pending = [writer.append(line) for _ in range(5)]  # one loop iteration: all queued
        results = await asyncio.gather(*pending, return_exceptions=True)
    finally:
        await writer.close()
        await pool.close()
    assert [isinstance(r, Appended) for r in results] == [True, True, True, False, False]
    assert all("overloaded" in str(r) for r in results[3:])


async def test_a_change_on_a_hung_store_is_answered_in_time_and_applied_once_after(
    hung_writer: tuple[Writer, asyncpg.Connection],
) -> None:
    writer, locker = hung_writer
    first = await outcome_of(
        writer, NewMessage("a", "al", "x", "w", 1, "s", "r1", owner_key(None, "s"))
    )
    target = first.result().message.id
    reaction = Change(
        "a", target, REACT, owner_key(None, "s"), "al", "👍", "w", 2, False, "s", "c1"
    )
    await locker.execute("BEGIN; LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE")
    change = asyncio.ensure_future(writer.change(reaction))
    await asyncio.sleep(0.1)  # the change waits on the lock, holding the one connection
    behind = await outcome_of(writer, NewMessage("a", "al", "y", "w", 3, "s", "r2"))
    done, _ = await asyncio.wait([change], timeout=10)
    assert done, "the change was not answered within 10 s"
    with pytest.raises(OutcomeUnknown, match=r"did not answer within 0\.5 s"):
        change.result()
    with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.5 s"):
        behind.result()

    await locker.execute("COMMIT")  # the store answers again: the change may have been applied
    again = await asyncio.wait_for(writer.change(reaction), 10)  # re-sent with its Ref
    assert again.event is not None
    rows = await locker.fetch("SELECT id FROM messages WHERE room = 'a' ORDER BY id")
    assert [row["id"] for row in rows] == [1, 2], "one reaction event, whatever the order"
