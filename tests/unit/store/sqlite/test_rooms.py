"""The SQLite store's room administration: it acts on journaled messages as on moved ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roomcast.store.base import NewMessage
from roomcast.store.sqlite import SQLiteStore
from roomcast.wire.protocol import ChatMessage


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "chat.db")
    await opened.open()
    yield opened
    await opened.close()


async def test_deleting_a_room_deletes_its_journaled_messages(store: SQLiteStore) -> None:
    for n in range(3):
        store.submit(NewMessage("lobby", "alice", f"m{n}", "w1", n), lambda outcome: None)
    assert await store.delete_room("lobby")
    assert await store.page("lobby", None, 10) == []
    assert await store.room("lobby") is None
    again = await store.append(NewMessage("lobby", "alice", "back", "w1", 9))
    assert again.message.id == 4, "IDs are never reused"


async def test_an_import_raises_the_last_id_the_writer_goes_on_from(store: SQLiteStore) -> None:
    await store.append(NewMessage("lobby", "alice", "one", "w1", 1))
    imported = [ChatMessage("lobby", n, "bob", f"old {n}", "w2", n) for n in (5, 6)]
    assert await store.import_messages(imported) == 2
    assert await store.import_messages(imported) == 0
    nxt = await store.append(NewMessage("lobby", "alice", "next", "w1", 7))
    assert nxt.message.id == 7
    assert [m.id for m in await store.page("lobby", None, 10)] == [1, 5, 6, 7]


async def test_creating_a_room_that_exists_is_refused(store: SQLiteStore) -> None:
    assert await store.create_room("den", "topic")
    assert not await store.create_room("den")
    await store.append(NewMessage("lobby", "alice", "one", "w1", 1))
    assert not await store.create_room("lobby")
    assert [(r.name, r.topic) for r in await store.rooms()] == [("den", "topic"), ("lobby", "")]
