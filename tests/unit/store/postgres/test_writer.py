"""The PostgreSQL writer: one statement per batch, refs answered within and across batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from roomcast.store.base import Appended, NewMessage, StoreUnavailable
from roomcast.store.postgres import PostgresStore


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
