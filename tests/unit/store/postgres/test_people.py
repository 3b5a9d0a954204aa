"""PostgreSQL person-level state across nodes: a direct conversation is made once, notifications
are claimed once, a name key is one account's; a line keeps its mentions, whatever their
characters; the counts skip changes, deleted lines and one's own, in one query."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roomcast.store.base import DELETE, Account, Change, NewMessage, owner_key
from roomcast.store.people import Notification, PersonRoom
from roomcast.store.postgres import PostgresStore
from roomcast.store.postgres.people import _ROOMS

ALICE = owner_key("id-alice", "s-alice")
BOB = owner_key("id-bob", "s-bob")
T0 = 1_700_000_000_000


@pytest.fixture
async def nodes(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    await first.open()
    await second.open()
    yield first, second
    await first.close()
    await second.close()


def _line(text: str, owner: str = BOB, **kwargs: Any) -> NewMessage:
    sender = owner.removeprefix("a:id-")
    return NewMessage("r", sender, text, "w", T0, sender, owner=owner, **kwargs)


async def test_a_line_keeps_its_reply_thread_and_mentions(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    store, other = nodes
    await store.append(_line("root"))
    names = ('say "hi"', "back\\slash", "{a,b}", "NULL", "élan")
    news = [
        _line("first", reply_to=1, thread=1, mentions=names, ref="x"),
        _line("plain"),
        _line("first again", reply_to=1, thread=1, mentions=names, ref="x"),
    ]
    done = await asyncio.gather(*[store.append(new) for new in news])  # one batch
    assert [(d.message.id, d.duplicate) for d in done] == [(2, False), (3, False), (2, True)]
    for appended in (done[0], done[2]):
        message = appended.message
        assert (message.reply_to, message.thread, message.mentions) == (1, 1, names)
    assert done[1].message.mentions == ()
    assert await other.message("r", 2) == done[0].message
    (in_thread,) = [m for m in await other.page("r", None, 10, thread=1) if m.id == 2]
    assert in_thread.mentions == names
    assert [getattr(e, "mentions", None) for e in await other.after("r", 1, 10)] == [names, ()]
    resent = await other.append(_line("resent", mentions=("x",), ref="x"))
    assert (resent.duplicate, resent.message.mentions) == (True, names)


async def test_counts_skip_changes_deleted_lines_and_ones_own_in_one_query(
    nodes: tuple[PostgresStore, PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = nodes
    await store.add_person_room(ALICE, "r")
    ids = [(await store.append(_line(text))).message.id for text in ("1", "2", "3")]
    await store.append(_line("mine", ALICE))
    await store.add_mentions("r", ids[0], [ALICE])
    await store.add_mentions("r", ids[1], [ALICE, BOB])
    deletion = Change("r", ids[1], DELETE, BOB, "bob", "", "w", T0, False, "bob", None)
    await store.change(deletion)
    queries: list[str] = []
    fetch = store._pool.fetch

    async def counted(sql: str, *args: Any) -> Any:
        queries.append(sql)
        return await fetch(sql, *args)

    monkeypatch.setattr(store._pool, "fetch", counted)
    # Lines 1 and 3 (not 2, deleted, nor Alice's own, nor the deletion); line 1's mention.
    assert await store.person_rooms(ALICE) == [PersonRoom("r", 5, 0, 2, 1, False)]
    assert queries == [_ROOMS]


async def test_two_nodes_making_one_direct_conversation_make_it_once(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    members = {"id-alice": "alice", "id-bob": "bob"}
    made = await asyncio.gather(
        first.create_direct("dm.ab", members), second.create_direct("dm.ab", members)
    )
    assert sorted(made) == [False, True]
    access = await second.room_access("dm.ab")
    assert (access.private, access.members, access.owner_id) == (True, members, None)
    assert [r.room for r in await first.person_rooms(BOB)] == ["dm.ab"]


async def test_a_deleted_direct_conversation_is_one_no_more(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    store, _ = nodes
    assert await store.create_direct("dm.ab", {"id-alice": "alice", "id-bob": "bob"})
    line = await store.append(NewMessage("dm.ab", "bob", "@alice", "w", T0, owner=BOB))
    await store.add_mentions("dm.ab", line.message.id, [ALICE])
    assert await store.delete_room("dm.ab")
    assert await store.direct_members("dm.ab") is None
    assert (await store.room_access("dm.ab")).members == {}
    await store.append(NewMessage("dm.ab", "carol", "back", "w", T0, owner="a:id-carol"))
    assert await store.person_rooms(ALICE) == []
    await store.add_person_room(ALICE, "dm.ab")
    # Its IDs go on; the mention went with its line (and Alice's marker stayed).
    assert await store.person_rooms(ALICE) == [PersonRoom("dm.ab", 2, 0, 1, 0, False)]
    assert await store.create_direct("dm.ab", {"id-alice": "alice"})


async def test_claims_on_two_nodes_never_share_a_notification(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    for n in range(60):
        await first.enqueue_notification(
            Notification(f"n-{n}", "id-a", "a", "r", n, "b", "x", "mention", T0, T0)
        )
    for _ in range(3):  # concurrent claims: each notification goes to one of them
        claims = await asyncio.gather(
            first.claim_notifications(T0, "node-a", 60_000, 10),
            second.claim_notifications(T0, "node-b", 60_000, 10),
        )
        ids = [c.id for claimed in claims for c in claimed]
        assert len(ids) == 20
    everything = [c.id for c in await first.claim_notifications(T0, "node-c", 60_000, 100)]
    assert len(everything) == 0
    later = await second.claim_notifications(T0 + 60_000, "node-c", 60_000, 100)
    assert len({c.id for c in later}) == 60


async def test_a_name_key_is_one_accounts_whoever_races_for_it(
    nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = nodes
    await first.create_account(Account("id-bob", "bob", "bob", "h", T0))
    assert await first.set_account_nick("id-bob", "Carol", "carol")
    assert not await second.create_account(Account("id-carol", "Carol", "carol", "h", T0))
    assert not await second.set_account_nick("id-nobody", "Dave", "dave"), "no such account"
    for n in range(10):
        key = f"name{n}"
        won = await asyncio.gather(
            first.set_account_nick("id-bob", key, key),
            second.create_account(Account(f"id-{n}", key, key, "h", T0)),
        )
        assert sorted(won) == [False, True]
        found = await first.account_by_key(key)
        assert found is not None
        assert found.id == ("id-bob" if won[0] else f"id-{n}")
