"""The person-level contract of every Store: a person's rooms and read markers, unread and
mention counts, direct conversations, blocks, chosen nicknames and the notification queue, the
same in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roomcast.store import Account, Change, NewMessage, Store, owner_key
from roomcast.store.base import DELETE
from roomcast.store.people import (
    COUNT_CAP,
    DELIVERED,
    FAILED,
    PENDING,
    READ_IN_TIME,
    Notification,
    PersonRoom,
)

from . import test_store

kind = test_store.kind
opened = test_store.opened
store = test_store.store

ALICE = owner_key("id-alice", "s-alice")
BOB = owner_key("id-bob", "s-bob")
GUEST = owner_key(None, "s-guest")
T0 = 1_700_000_000_000


def line(room: str, text: str, owner: str, mentions: tuple[str, ...] = ()) -> NewMessage:
    author = owner.split(":", 1)[1]
    return NewMessage(room, author, text, "w", T0, None, None, owner, None, None, mentions)


async def say(store: Store, room: str, owner: str, *texts: str) -> list[int]:
    done = await asyncio.gather(*[store.append(line(room, t, owner)) for t in texts])
    return [d.message.id for d in done]


def notification(n: int, **fields: Any) -> Notification:
    values: dict[str, Any] = {
        "id": f"n-{n}",
        "account_id": "id-alice",
        "account": "alice",
        "room": "r",
        "message_id": n,
        "author": "bob",
        "excerpt": f"hi @alice {n}",
        "kind": "mention",
        "time_ms": T0,
        "due_ms": T0 + 60_000,
    }
    values.update(fields)
    return Notification(**values)


async def test_a_persons_rooms_are_kept_in_join_order(store: Store) -> None:
    for room in ("b", "a", "c"):
        await store.add_person_room(ALICE, room)
    await store.add_person_room(ALICE, "b")  # again: kept where it was
    await store.remove_person_room(ALICE, "a")
    assert [r.room for r in await store.person_rooms(ALICE)] == ["b", "c"]
    assert await store.person_rooms(BOB) == []
    await store.add_person_room(GUEST, "a")
    assert [r.room for r in await store.person_rooms(GUEST)] == ["a"]


async def test_a_first_room_is_read_back_at_once_and_kept_in_order(store: Store) -> None:
    await store.add_first_person_room(GUEST, "a")
    assert [r.room for r in await store.person_rooms(GUEST)] == ["a"]
    assert await store.read_marker(GUEST, "a") == 0
    await store.add_first_person_room(BOB, "b")
    await store.remove_person_room(BOB, "b")  # written after the first, though not waited for
    assert await store.person_rooms(BOB) == []


async def test_unread_counts_lines_by_others_after_the_marker(store: Store) -> None:
    await store.add_person_room(ALICE, "r")
    await say(store, "r", BOB, "1", "2")
    await say(store, "r", ALICE, "mine")
    await say(store, "r", BOB, "4")
    (room,) = await store.person_rooms(ALICE)
    assert room == PersonRoom("r", 4, 0, 3, 0, False)
    assert await store.set_read(ALICE, "r", 2) == 2
    (room,) = await store.person_rooms(ALICE)
    assert (room.read_id, room.unread) == (2, 1)


async def test_a_read_marker_never_moves_back_and_is_clamped(store: Store) -> None:
    await store.add_person_room(ALICE, "r")
    await say(store, "r", BOB, "1", "2", "3")
    assert await store.set_read(ALICE, "r", 2) == 2
    assert await store.set_read(ALICE, "r", 1) == 2
    assert await store.set_read(ALICE, "r", 99) == 3
    assert await store.read_marker(ALICE, "r") == 3
    assert await store.read_marker(ALICE, "elsewhere") == 0
    # The marker survives leaving and coming back; the join tells it.
    await store.remove_person_room(ALICE, "r")
    assert await store.add_person_room(ALICE, "r") == 3
    assert (await store.person_rooms(ALICE))[0].read_id == 3
    assert await store.add_person_room(ALICE, "new") == 0


async def test_mentions_count_after_the_marker(store: Store) -> None:
    await store.add_person_room(ALICE, "r")
    first = await store.append(line("r", "@alice look", BOB, ("alice",)))
    await store.add_mentions("r", first.message.id, [ALICE])
    second = await store.append(line("r", "@alice again", BOB, ("alice",)))
    await store.add_mentions("r", second.message.id, [ALICE])
    (room,) = await store.person_rooms(ALICE)
    assert (room.unread, room.mentions) == (2, 2)
    await store.set_read(ALICE, "r", first.message.id)
    (room,) = await store.person_rooms(ALICE)
    assert (room.unread, room.mentions) == (1, 1)
    (page,) = await store.page("r", None, 1)
    assert page.mentions == ("alice",)


async def test_counts_stop_at_the_cap(store: Store) -> None:
    await store.add_person_room(ALICE, "r")
    await say(store, "r", BOB, *[str(n) for n in range(COUNT_CAP + 5)])
    (room,) = await store.person_rooms(ALICE)
    assert room.unread == COUNT_CAP


async def test_a_direct_conversation_is_private_to_its_members(store: Store) -> None:
    members = {"id-alice": "alice", "id-bob": "bob"}
    assert await store.create_direct("dm.ab", members)
    assert not await store.create_direct("dm.ab", members)
    assert await store.direct_members("dm.ab") == members
    assert await store.direct_members("r") is None
    access = await store.room_access("dm.ab")
    assert access.private
    assert set(access.members) == {"id-alice", "id-bob"}
    for person in (ALICE, BOB):
        (room,) = await store.person_rooms(person)
        assert (room.room, room.direct) == ("dm.ab", True)


async def test_blocks_are_per_blocker(store: Store) -> None:
    assert await store.block("id-alice", "id-bob", "bob")
    assert not await store.block("id-alice", "id-bob", "bob")
    await store.block("id-alice", "id-carol", "carol")
    assert await store.blocks("id-alice") == [("id-bob", "bob"), ("id-carol", "carol")]
    assert await store.blocks("id-bob") == []
    assert await store.blockers("id-bob", ["id-alice", "id-dave"]) == {"id-alice"}
    assert await store.unblock("id-alice", "id-bob")
    assert not await store.unblock("id-alice", "id-bob")
    assert await store.blockers("id-bob", ["id-alice"]) == set()


async def test_a_chosen_nickname_is_unique_and_finds_its_account(store: Store) -> None:
    await store.create_account(Account("id-alice", "alice", "alice", "h", T0))
    await store.create_account(Account("id-bob", "bob", "bob", "h", T0))
    assert await store.account_nick("id-alice") is None
    assert await store.set_account_nick("id-alice", "Ally", "ally")
    assert await store.account_nick("id-alice") == "Ally"
    found = await store.account_by_key("ally")
    assert found is not None
    assert found.id == "id-alice"
    assert not await store.set_account_nick("id-bob", "ALLY", "ally")  # taken
    assert not await store.set_account_nick("id-bob", "Alice", "alice")  # an account's name
    assert await store.set_account_nick("id-alice", None, None)
    assert await store.account_by_key("ally") is None
    assert await store.set_account_nick("id-bob", "Ally", "ally")


async def test_notifications_are_claimed_once_and_finished(store: Store) -> None:
    for n in (1, 2, 3):
        await store.enqueue_notification(notification(n, due_ms=T0 + n * 1000))
    assert await store.claim_notifications(T0, "node-a", 30_000, 10) == []
    claimed = await store.claim_notifications(T0 + 2000, "node-a", 30_000, 10)
    assert [c.id for c in claimed] == ["n-1", "n-2"]
    assert claimed[0] == notification(1, due_ms=T0 + 1000)
    # Leased: another node's claim does not get them, even once due.
    assert [c.id for c in await store.claim_notifications(T0 + 9000, "node-b", 30_000, 10)] == [
        "n-3"
    ]
    await store.finish_notification("n-1", DELIVERED, 1, 0)
    await store.finish_notification("n-2", PENDING, 1, T0 + 50_000)
    # n-3's lease (node-b, 30 s, to T0 + 39 s) ends unfinished: anyone may claim it again.
    late = await store.claim_notifications(T0 + 40_000, "node-c", 30_000, 10)
    assert [c.id for c in late] == ["n-3"]
    # n-2 comes back once its retry time passed (finishing it ended its lease).
    assert await store.claim_notifications(T0 + 49_000, "node-b", 30_000, 10) == []
    again = await store.claim_notifications(T0 + 50_000, "node-b", 30_000, 10)
    assert [(c.id, c.attempts) for c in again] == [("n-2", 1)]
    await store.finish_notification("n-2", FAILED, 2, 0)
    await store.finish_notification("n-3", READ_IN_TIME, 1, 0)
    assert await store.notification_counts() == {
        PENDING: 0,
        DELIVERED: 1,
        FAILED: 1,
        READ_IN_TIME: 1,
    }


async def test_a_claim_takes_at_most_the_limit(store: Store) -> None:
    for n in range(5):
        await store.enqueue_notification(notification(n, due_ms=T0))
    assert len(await store.claim_notifications(T0, "a", 1000, 2)) == 2
    assert len(await store.claim_notifications(T0, "b", 1000, 10)) == 3


async def test_people_state_is_durable(kind: test_store.StoreKind, opened: Any) -> None:
    if not kind.durable:
        pytest.skip("the memory store keeps nothing")
    first = await opened()
    await first.add_person_room(ALICE, "r")
    await say(first, "r", BOB, "1")
    await first.set_read(ALICE, "r", 1)
    await first.enqueue_notification(notification(1))
    await first.close()
    second = await opened()
    assert [(r.room, r.read_id) for r in await second.person_rooms(ALICE)] == [("r", 1)]
    assert (await second.notification_counts())[PENDING] == 1


async def test_appended_lines_carry_their_reply_thread_and_mentions(store: Store) -> None:
    root = await store.append(line("r", "root", BOB))
    names = ("alice", "Big Bob")  # a nickname may hold a space
    new = NewMessage("r", "bob", "@alice @Big Bob", "w", T0, "s-bob", "x1", BOB, 1, 1, names)
    done = await store.append(new)
    assert (done.message.reply_to, done.message.thread, done.message.mentions) == (1, 1, names)
    assert (await store.append(new)).duplicate
    assert (await store.message("r", done.message.id)) == done.message
    (replayed,) = await store.after("r", root.message.id, 10)
    assert replayed == done.message
    assert [m.mentions for m in await store.page("r", None, 10)] == [(), names]
    assert root.message.mentions == ()


async def test_a_guests_own_lines_are_not_unread_to_it(store: Store) -> None:
    for person in (GUEST, ALICE):
        await store.add_person_room(person, "r")
    # As the chat layer sends a guest's line: its session is the sender and the owner.
    guest_line = NewMessage("r", "guest", "hi", "w", T0, "s-guest", None, GUEST)
    await asyncio.gather(*[store.append(guest_line) for _ in range(3)])
    await say(store, "r", ALICE, "hello")
    assert [(r.unread, r.last_id) for r in await store.person_rooms(GUEST)] == [(1, 4)]
    assert [r.unread for r in await store.person_rooms(ALICE)] == [3]


async def test_a_deleted_line_is_neither_unread_nor_a_mention(store: Store) -> None:
    await store.add_person_room(ALICE, "r")
    first = await store.append(line("r", "@alice one", BOB, ("alice",)))
    await store.add_mentions("r", first.message.id, [ALICE])
    await say(store, "r", BOB, "two")
    await store.change(Change("r", first.message.id, DELETE, BOB, "bob", "", "w", T0))
    (room,) = await store.person_rooms(ALICE)
    assert (room.last_id, room.unread, room.mentions) == (3, 1, 0)


async def test_a_deleted_room_leaves_everyones_rooms(store: Store) -> None:
    await store.add_person_room(ALICE, "gone")
    await store.add_person_room(ALICE, "kept")
    _, mention = await say(store, "gone", BOB, "hi", "@alice")
    await store.add_mentions("gone", mention, [ALICE])
    await store.set_read(ALICE, "gone", 1)
    assert await store.delete_room("gone")
    assert [r.room for r in await store.person_rooms(ALICE)] == ["kept"]
    # Back where it was first joined, its marker kept (its IDs continue), its mentions gone.
    await store.add_person_room(ALICE, "gone")
    rejoined = (await store.person_rooms(ALICE))[0]
    assert (rejoined.room, rejoined.read_id, rejoined.mentions) == ("gone", 1, 0)


async def test_no_account_may_take_a_chosen_nickname(store: Store) -> None:
    await store.create_account(Account("id-alice", "alice", "alice", "h", T0))
    assert await store.set_account_nick("id-alice", "Ally", "ally")
    assert await store.set_account_nick("id-alice", "ALICE", "alice")  # its own name's key
    assert await store.account_nick("id-alice") == "ALICE"
    assert not await store.create_account(Account("id-ally", "ally", "alice", "h", T0))
    assert await store.set_account_nick("id-alice", "Ally", "ally")
    assert not await store.create_account(Account("id-ally", "Ally", "ally", "h", T0))
    assert await store.account_by_id("id-ally") is None
