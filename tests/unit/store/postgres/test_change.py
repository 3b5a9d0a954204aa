"""PostgreSQL changes across nodes: IDs stay gapless and a ref raced by two nodes makes one
event; a deletion purges the rows; a page of history is one query whatever its reactions and
replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from roomcast.store.base import DELETE, EDIT, REACT, Change, NewMessage, owner_key
from roomcast.store.postgres import PostgresStore
from roomcast.store.postgres.change import change_on
from roomcast.store.postgres.events import EVENT, event
from roomcast.wire.protocol import ChatMessage, DeletedEvent, EditedEvent, ReactionEvent

OWNER = owner_key("id-alice", "s-alice")


@pytest.fixture
async def nodes(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    await first.open()
    await second.open()
    yield first, second
    await first.close()
    await second.close()


def _line(text: str, **kwargs: Any) -> NewMessage:
    return NewMessage("r", "alice", text, "w1", 1, "s-alice", None, OWNER, **kwargs)


def _react(target: int, emoji: str, sender: str, ref: str | None = None) -> Change:
    return Change("r", target, REACT, owner_key(None, sender), sender, emoji, "w", 2, False,
                  sender, ref)  # fmt: skip


async def test_lines_and_changes_of_two_nodes_take_gapless_ids(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    await first.append(_line("root"))
    work: list[asyncio.Future[Any]] = []
    for n in range(40):
        node = (first, second)[n % 2]
        work.append(node.append(_line(f"line {n}")))
        work.append(asyncio.ensure_future(node.change(_react(1, f":e{n % 20}:", f"s{n}"))))
    await asyncio.gather(*work)
    events = await first.after("r", 0, 1000)
    assert [e.id for e in events] == list(range(1, 82))
    assert await second.last_id("r") == 81
    (root,) = await first.page("r", 2, 1)
    assert sum(len(r.names) for r in root.reactions) == 40


async def test_a_ref_raced_by_two_nodes_makes_one_event(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    await first.append(_line("root"))
    change = Change("r", 1, EDIT, OWNER, "alice", "edited", "w1", 2, False, "s-alice", "e1")
    outcomes = await asyncio.gather(first.change(change), second.change(change))
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert outcomes[0].event == outcomes[1].event
    assert await first.last_id("r") == 2


async def test_a_page_is_one_query(
    nodes: tuple[PostgresStore, PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = nodes
    for n in range(5):
        await store.append(_line(f"root {n}"))
    for n in range(5):
        await store.append(_line(f"reply {n}", thread=n + 1))
        await store.change(_react(n + 1, "👍", "s-bob"))
    queries = []
    fetch = store._pool.fetch

    async def counted(sql: str, *args: Any) -> Any:
        queries.append(sql)
        return await fetch(sql, *args)

    monkeypatch.setattr(store._pool, "fetch", counted)
    page = await store.page("r", None, 50)
    assert len(queries) == 1
    assert [(m.replies, len(m.reactions)) for m in page[:5]] == [(1, 1)] * 5
    assert all(isinstance(m, ChatMessage) for m in page)


async def test_a_deletion_purges_the_text_of_the_line_and_its_edits_and_its_reactions(
    nodes: tuple[PostgresStore, PostgresStore], postgres_url: str
) -> None:
    store, _ = nodes
    await store.append(_line("secret"))
    await store.change(Change("r", 1, EDIT, OWNER, "alice", "more secret", "w1", 2))
    await store.change(_react(1, "👍", "s-bob"))
    conn = await asyncpg.connect(postgres_url)
    try:
        deletion = Change("r", 1, DELETE, OWNER, "alice", "", "w1", 3)
        deleted = await change_on(conn, deletion)
        assert deleted.event == DeletedEvent("r", 4, 1, "alice", 3)
        rows = await conn.fetch(f"SELECT {EVENT}, original FROM messages ORDER BY id")
        assert [event(row) for row in rows] == [
            ChatMessage("r", 1, "alice", "", "w1", 1, edited_ms=2, deleted=True),
            EditedEvent("r", 2, 1, "", "alice", 2),
            ReactionEvent("r", 3, 1, "👍", "s-bob", False, 2),
            DeletedEvent("r", 4, 1, "alice", 3),
        ]
        assert rows[0]["original"] is None
        assert await conn.fetchval("SELECT count(*) FROM reactions") == 0
    finally:
        await conn.close()
