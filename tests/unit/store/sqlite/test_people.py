"""The SQLite people store: counts over moved and journaled lines alike, in a bounded number of
queries; a guest's plain line still journaled in 8 columns, a line with mentions in the wide
rows; a claim of notifications on the writer's connection."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from roomcast.store.base import NewMessage, StoreUnavailable, owner_key
from roomcast.store.people import Notification
from roomcast.store.sqlite import SQLiteStore
from roomcast.store.sqlite.journal import BARE_WIDTH

ALICE = owner_key("id-alice", "s-alice")
BOB = owner_key("id-bob", "s-bob")
T0 = 1_700_000_000_000


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "chat.db")
    await opened.open()
    yield opened
    await opened.close()


def _line(room: str, owner: str, text: str = "x", mentions: tuple[str, ...] = ()) -> NewMessage:
    sender = owner.split(":", 1)[1]  # a guest's: its session
    return NewMessage(room, "n", text, "w", T0, sender, None, owner, None, None, mentions)


async def _say(store: SQLiteStore, room: str, owner: str, count: int) -> None:
    await asyncio.gather(*[store.append(_line(room, owner)) for _ in range(count)])


async def test_counts_add_moved_and_journaled_lines(store: SQLiteStore) -> None:
    await store.add_person_room(ALICE, "r")
    await _say(store, "r", BOB, 3)
    await _say(store, "r", ALICE, 1)
    await store._writer.settled()  # lines 1-4 in `messages`, 5-7 in the journal
    await _say(store, "r", BOB, 2)
    await _say(store, "r", ALICE, 1)
    assert await store.set_read(ALICE, "r", 2) == 2
    (room,) = await store.person_rooms(ALICE)
    assert (room.last_id, room.read_id, room.unread) == (7, 2, 3)
    await store.set_read(ALICE, "r", 6)
    (room,) = await store.person_rooms(ALICE)
    assert room.unread == 0


async def test_a_persons_rooms_take_the_same_queries_however_many(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    query = store._reads.query

    async def counted(sql: str, params: tuple[Any, ...], *, inline: bool = True) -> Any:
        queries.append(sql)
        return await query(sql, params, inline=inline)

    monkeypatch.setattr(store._reads, "query", counted)
    joined = 0
    for count in (1, 2, 10):
        for n in range(joined, count):
            await store.add_person_room(ALICE, f"room-{n}")
            await _say(store, f"room-{n}", BOB, 2)
        joined = count
        queries.clear()
        rooms = await store.person_rooms(ALICE)
        assert [r.unread for r in rooms] == [2] * count
        assert len(queries) == 2


async def test_plain_lines_stay_narrow_and_mentions_go_wide(
    store: SQLiteStore, tmp_path: Path
) -> None:
    guest = owner_key(None, "s-guest")
    await store.append(_line("r", guest))
    await store.append(_line("r", guest, "@Big Bob", ("Big Bob",)))
    with contextlib.closing(sqlite3.connect(tmp_path / "chat.db")) as conn:
        batches = [orjson.loads(b) for (b,) in conn.execute("SELECT batch FROM message_journal")]
    assert [len(row) for batch in batches for row in batch] == [BARE_WIDTH, 13]
    assert batches[1][0][-2:] == ['["Big Bob"]', None]
    await store._writer.settled()
    with contextlib.closing(sqlite3.connect(tmp_path / "chat.db")) as conn:
        stored = conn.execute("SELECT owner, mentions FROM messages ORDER BY id").fetchall()
    assert stored == [(None, None), (None, '["Big Bob"]')]
    assert [m.mentions for m in await store.page("r", None, 5)] == [(), ("Big Bob",)]


async def test_concurrent_claims_never_share_a_notification(store: SQLiteStore) -> None:
    for n in range(20):
        await store.enqueue_notification(
            Notification(f"n-{n}", "id-a", "a", "r", n, "b", "hi", "mention", T0, T0)
        )
    claims = await asyncio.gather(
        *[store.claim_notifications(T0, f"node-{k}", 60_000, 3) for k in range(10)]
    )
    ids = [n.id for claim in claims for n in claim]
    assert sorted(ids) == sorted(f"n-{n}" for n in range(20))


@contextlib.contextmanager
def _writer_held(path: Path) -> Any:
    """Another connection holding the database's write lock: the writer thread waits in its
    next transaction until the block ends (reads go on, in WAL mode)."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_room_the_person_is_in_is_rejoined_without_the_writer(
    store: SQLiteStore, tmp_path: Path
) -> None:
    await store.add_person_room(ALICE, "r")
    assert await store.set_read(ALICE, "r", 4) == 0, "nothing to read up to yet"
    await _say(store, "r", BOB, 5)
    assert await store.set_read(ALICE, "r", 4) == 4
    with _writer_held(tmp_path / "chat.db"):
        blocked = asyncio.ensure_future(store.add_person_room(BOB, "r"))  # a first join
        await asyncio.sleep(0.1)
        assert not blocked.done(), "the writer is held"
        # Bob's write in flight does not hold Alice's rejoin up.
        assert await asyncio.wait_for(store.add_person_room(ALICE, "r"), 1) == 4
        marked = asyncio.ensure_future(store.set_read(ALICE, "r", 5))
        await asyncio.sleep(0.05)
        # With a write to her rooms in flight, her rejoin waits behind it: it sees the marker.
        waiting = asyncio.ensure_future(store.add_person_room(ALICE, "r"))
        await asyncio.sleep(0.1)
        assert not waiting.done()
    assert (await blocked, await marked, await waiting) == (0, 5, 5)
    with _writer_held(tmp_path / "chat.db"):
        assert await asyncio.wait_for(store.add_person_room(ALICE, "r"), 1) == 5
        assert await asyncio.wait_for(store.add_person_room(BOB, "r"), 1) == 0


async def test_a_write_its_caller_stopped_waiting_for_still_holds_rejoins_back(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A Leave whose connection went away while it waited (its task cancelled) is still
    written: a rejoin of the same person until then goes to the writer, behind it."""
    await store.add_person_room(ALICE, "r")
    with _writer_held(tmp_path / "chat.db"):
        left = asyncio.ensure_future(store.remove_person_room(ALICE, "r"))
        await asyncio.sleep(0.05)
        left.cancel()
        await asyncio.sleep(0.05)
        back = asyncio.ensure_future(store.add_person_room(ALICE, "r"))
        await asyncio.sleep(0.1)
        assert not back.done(), "the cancelled Leave is still to be written"
    assert await back == 0
    assert [room.room for room in await store.person_rooms(ALICE)] == ["r"]
    assert store._people._changing == {}


async def test_a_rejoin_after_a_leave_in_flight_is_written_after_it(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A Leave still queued when the person joins again (another tab): the join must come
    after it, or the person's rooms would end without the room it is in."""
    await store.add_person_room(ALICE, "r")
    with _writer_held(tmp_path / "chat.db"):
        left = asyncio.ensure_future(store.remove_person_room(ALICE, "r"))
        await asyncio.sleep(0.05)
        back = asyncio.ensure_future(store.add_person_room(ALICE, "r"))
        await asyncio.sleep(0.05)
        assert not back.done()
    await left
    assert await back == 0
    assert [room.room for room in await store.person_rooms(ALICE)] == ["r"]
    await store.remove_person_room(ALICE, "r")
    assert await store.person_rooms(ALICE) == []
    assert await store.add_person_room(ALICE, "r") == 0, "a room left is joined by the writer"
    assert [room.room for room in await store.person_rooms(ALICE)] == ["r"]


async def test_a_write_refused_by_a_closed_store_is_not_left_in_flight(tmp_path: Path) -> None:
    closed = SQLiteStore(tmp_path / "chat.db")
    await closed.open()
    await closed.close()
    with pytest.raises(StoreUnavailable):
        await closed.remove_person_room(ALICE, "r")
    with pytest.raises(StoreUnavailable):
        await closed.add_first_person_room(ALICE, "r")
    assert closed._people._changing == {}
