"""The conversation contract of every MessageStore: edits, deletions and reactions are events of
the room's log with the room's next ID; history pages give lines in their current state; a
replay gives the events after an ID; threads page apart. Memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio

import pytest

from roomcast.store import Change, ChangeRefused, MessageStore, NewMessage, owner_key
from roomcast.store.base import DELETE, EDIT, REACT, UNREACT
from roomcast.wire.protocol import (
    MAX_REACTIONS,
    ChatMessage,
    DeletedEvent,
    EditedEvent,
    ErrorCode,
    ReactionEvent,
    ReactionSummary,
)

from . import test_store

kind = test_store.kind
opened = test_store.opened
store = test_store.store

ALICE = owner_key("acct-alice", "s-alice")
BOB = owner_key(None, "s-bob")
T0 = 1_700_000_000_000


def line(
    room: str,
    text: str,
    *,
    owner: str = ALICE,
    author: str = "alice",
    reply_to: int | None = None,
    thread: int | None = None,
    ref: str | None = None,
) -> NewMessage:
    return NewMessage(
        room, author, text, "wsid0001", T0, "s-" + author, ref, owner, reply_to, thread
    )


def change(
    room: str,
    target: int,
    kind: str,
    text: str = "",
    *,
    owner: str = ALICE,
    name: str = "alice",
    moderator: bool = False,
    ref: str | None = None,
    at: int = T0 + 1000,
) -> Change:
    return Change(
        room, target, kind, owner, name, text, "wsid0001", at, moderator, "s-" + name, ref
    )


async def lines(store: MessageStore, room: str, *texts: str) -> list[int]:
    done = await asyncio.gather(*[store.append(line(room, t)) for t in texts])
    return [d.message.id for d in done]


async def test_an_edit_takes_the_next_id_and_pages_show_the_new_text(store: MessageStore) -> None:
    await lines(store, "r", "one", "two")
    changed = await store.change(change("r", 1, EDIT, "one, edited", ref="e1"))
    assert changed.event == EditedEvent("r", 3, 1, "one, edited", "alice", T0 + 1000)
    assert changed.own
    assert not changed.duplicate
    assert await store.last_id("r") == 3
    (first, second) = await store.page("r", None, 10)
    assert (first.id, first.text, first.edited_ms) == (1, "one, edited", T0 + 1000)
    assert (second.text, second.edited_ms) == ("two", None)
    assert (await lines(store, "r", "three")) == [4]  # lines continue after the event


async def test_only_the_owner_may_edit_and_the_same_text_is_no_event(store: MessageStore) -> None:
    await lines(store, "r", "mine")
    with pytest.raises(ChangeRefused) as refused:
        await store.change(change("r", 1, EDIT, "theirs", owner=BOB, name="bob"))
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(ChangeRefused) as refused:
        await store.change(change("r", 1, EDIT, "x", owner=BOB, moderator=True))
    assert refused.value.code == ErrorCode.FORBIDDEN  # moderators edit only their own
    assert (await store.change(change("r", 1, EDIT, "mine"))).event is None
    assert await store.last_id("r") == 1


async def test_a_change_to_a_missing_or_deleted_line_is_not_found(store: MessageStore) -> None:
    await lines(store, "r", "one")
    for target in (2, 99):
        with pytest.raises(ChangeRefused) as refused:
            await store.change(change("r", target, EDIT, "x"))
        assert refused.value.code == ErrorCode.NOT_FOUND
    await store.change(change("r", 1, DELETE))
    for kind_, text in ((EDIT, "x"), (DELETE, ""), (REACT, "👍")):
        with pytest.raises(ChangeRefused) as refused:
            await store.change(change("r", 1, kind_, text))
        assert refused.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(ChangeRefused):
        await store.change(change("r", 2, REACT, "👍"))  # an event is no line
    with pytest.raises(ChangeRefused):
        await store.change(change("other", 1, EDIT, "x"))


async def test_a_deletion_is_an_event_and_the_line_is_gone_from_reads(store: MessageStore) -> None:
    await lines(store, "r", "one", "two", "three")
    await store.change(change("r", 2, EDIT, "two, edited"))
    deleted = await store.change(change("r", 2, DELETE, ref="d1"))
    assert deleted.event == DeletedEvent("r", 5, 2, "alice", T0 + 1000)
    assert [m.id for m in await store.page("r", None, 10)] == [1, 3]
    assert await store.message("r", 2) is None
    assert await store.versions("r", 2) is None
    replay = await store.after("r", 0, 10)
    assert [e.id for e in replay] == [1, 2, 3, 4, 5]
    gone = replay[1]
    assert isinstance(gone, ChatMessage)
    assert gone.deleted
    assert gone.text == ""
    edit = replay[3]
    assert isinstance(edit, EditedEvent)
    assert edit.text == ""
    assert (await lines(store, "r", "four")) == [6]


async def test_moderators_delete_others_lines_and_others_may_not(store: MessageStore) -> None:
    await lines(store, "r", "alice's")
    with pytest.raises(ChangeRefused) as refused:
        await store.change(change("r", 1, DELETE, owner=BOB, name="bob"))
    assert refused.value.code == ErrorCode.FORBIDDEN
    changed = await store.change(change("r", 1, DELETE, owner=BOB, name="mod", moderator=True))
    assert isinstance(changed.event, DeletedEvent)
    assert changed.event.by == "mod"
    assert not changed.own


async def test_a_guest_owns_its_lines_by_session(store: MessageStore) -> None:
    await store.append(line("r", "guest line", owner=BOB, author="guest-1"))
    await store.change(change("r", 1, EDIT, "fixed", owner=BOB, name="guest-1"))
    with pytest.raises(ChangeRefused):
        await store.change(change("r", 1, EDIT, "x", owner=owner_key(None, "other-session")))
    with pytest.raises(ChangeRefused):
        await store.change(change("r", 1, EDIT, "x"))


async def test_a_line_without_owner_cannot_be_edited(store: MessageStore) -> None:
    await store.append(NewMessage("r", "system", "from the server", "system", T0))
    with pytest.raises(ChangeRefused) as refused:
        await store.change(change("r", 1, EDIT, "x"))
    assert refused.value.code == ErrorCode.FORBIDDEN


async def test_reactions_toggle_per_person_and_pages_sum_them(store: MessageStore) -> None:
    await lines(store, "r", "react to me", "and me")
    added = await store.change(change("r", 1, REACT, "👍"))
    assert added.event == ReactionEvent("r", 3, 1, "👍", "alice", False, T0 + 1000)
    assert (await store.change(change("r", 1, REACT, "👍"))).event is None  # already there
    await store.change(change("r", 1, REACT, "👍", owner=BOB, name="bob"))
    await store.change(change("r", 1, REACT, ":party_parrot:", owner=BOB, name="bob"))
    await store.change(change("r", 2, REACT, "🎉", owner=BOB, name="bob"))
    first, second = await store.page("r", None, 10)
    assert first.reactions == (
        ReactionSummary("👍", ("alice", "bob")),
        ReactionSummary(":party_parrot:", ("bob",)),
    )
    assert second.reactions == (ReactionSummary("🎉", ("bob",)),)
    removed = await store.change(change("r", 1, UNREACT, "👍"))
    assert removed.event == ReactionEvent("r", 7, 1, "👍", "alice", True, T0 + 1000)
    assert (await store.change(change("r", 1, UNREACT, "👍"))).event is None  # not there
    assert (await store.change(change("r", 1, UNREACT, "🎉"))).event is None
    (first, _) = await store.page("r", None, 10)
    assert first.reactions == (
        ReactionSummary("👍", ("bob",)),
        ReactionSummary(":party_parrot:", ("bob",)),
    )
    assert await store.last_id("r") == 7


async def test_at_most_the_limit_of_distinct_reactions(store: MessageStore) -> None:
    await lines(store, "r", "popular")
    for n in range(MAX_REACTIONS):
        await store.change(change("r", 1, REACT, f":e{n:02d}:"))
    with pytest.raises(ChangeRefused) as refused:
        await store.change(change("r", 1, REACT, ":one_more:"))
    assert refused.value.code == ErrorCode.TOO_MANY
    # One more person on an emoji already there is fine.
    assert (await store.change(change("r", 1, REACT, ":e00:", owner=BOB))).event is not None
    (message,) = await store.page("r", None, 1)
    assert len(message.reactions) == MAX_REACTIONS


async def test_a_deleted_line_loses_its_reactions(store: MessageStore) -> None:
    await lines(store, "r", "one")
    await store.change(change("r", 1, REACT, "👍"))
    await store.change(change("r", 1, DELETE))
    await lines(store, "r", "two")
    assert [(m.id, m.reactions) for m in await store.page("r", None, 10)] == [(4, ())]


async def test_a_resent_ref_gets_the_original_event_and_changes_nothing(
    store: MessageStore,
) -> None:
    await lines(store, "r", "one")
    first = await store.change(change("r", 1, EDIT, "v2", ref="edit-1"))
    again = await store.change(change("r", 1, EDIT, "v3", ref="edit-1"))
    assert again.duplicate
    assert again.event == first.event
    assert (await store.page("r", None, 1))[0].text == "v2"
    assert await store.last_id("r") == 2
    reacted = await store.change(change("r", 1, REACT, "👍", ref="react-1"))
    assert (await store.change(change("r", 1, REACT, "👍", ref="react-1"))).event == reacted.event
    # A line re-sent with the ref of a change is answered with that change's ID, not stored.
    resent = await store.append(line("r", "x", ref="edit-1"))
    assert resent.duplicate
    assert resent.message.id == 2
    assert await store.last_id("r") == 3


async def test_versions_are_the_original_then_each_edit(store: MessageStore) -> None:
    await lines(store, "r", "first draft")
    await store.change(change("r", 1, EDIT, "second", at=T0 + 10))
    await store.change(change("r", 1, EDIT, "third", at=T0 + 20))
    assert await store.versions("r", 1) == [
        ("first draft", T0),
        ("second", T0 + 10),
        ("third", T0 + 20),
    ]
    await lines(store, "r", "never edited")
    assert await store.versions("r", 4) == [("never edited", T0)]
    assert await store.versions("r", 2) is None  # an edit event is no line


async def test_replies_and_threads_are_kept_and_counted(store: MessageStore) -> None:
    await lines(store, "r", "root", "elsewhere")
    for text in ("reply 1", "reply 2", "reply 3"):
        await store.append(line("r", text, thread=1))
    await store.append(line("r", "quoting", reply_to=2))
    await store.change(change("r", 3, DELETE))  # reply 1 goes: it is no longer counted
    page = await store.page("r", None, 10)
    assert [(m.id, m.replies, m.thread, m.reply_to) for m in page] == [
        (1, 2, None, None),
        (2, 0, None, None),
        (4, 0, 1, None),
        (5, 0, 1, None),
        (6, 0, None, 2),
    ]
    thread = await store.page("r", None, 10, thread=1)
    assert [m.id for m in thread] == [1, 4, 5]
    assert [m.id for m in await store.page("r", 5, 1, thread=1)] == [4]
    assert [m.id for m in await store.page("r", 4, 10, thread=1)] == [1]
    assert [m.id for m in await store.page("r", None, 10, thread=2)] == [2]
    replay = await store.after("r", 3, 10)
    assert [(e.id, getattr(e, "thread", None)) for e in replay] == [
        (4, 1),
        (5, 1),
        (6, None),
        (7, None),
    ]
    assert isinstance(replay[2], ChatMessage)
    assert replay[2].reply_to == 2
    assert isinstance(replay[3], DeletedEvent)
    assert replay[3].target == 3


async def test_message_gives_a_live_line_with_its_current_text(store: MessageStore) -> None:
    await lines(store, "r", "one")
    await store.append(line("r", "in thread", thread=1))
    await store.change(change("r", 1, EDIT, "one!"))
    found = await store.message("r", 1)
    assert found is not None
    assert (found.text, found.edited_ms) == ("one!", T0 + 1000)
    reply = await store.message("r", 2)
    assert reply is not None
    assert reply.thread == 1
    assert await store.message("r", 3) is None  # the edit event
    assert await store.message("other", 1) is None


async def test_the_replay_after_an_id_is_every_event_in_order(store: MessageStore) -> None:
    await lines(store, "r", "a", "b")
    await store.change(change("r", 1, REACT, "👍"))
    await store.change(change("r", 2, EDIT, "b2"))
    await lines(store, "r", "c")
    await store.change(change("r", 1, UNREACT, "👍"))
    events = await store.after("r", 2, 10)
    assert [type(e).__name__ for e in events] == [
        "ReactionEvent",
        "EditedEvent",
        "ChatMessage",
        "ReactionEvent",
    ]
    assert [e.id for e in events] == [3, 4, 5, 6]
    assert [e.id for e in await store.after("r", 0, 2)] == [1, 2]
    replayed_b = (await store.after("r", 1, 1))[0]
    assert isinstance(replayed_b, ChatMessage)
    assert replayed_b.text == "b2"


async def test_deleting_a_room_forgets_its_reactions(store: MessageStore) -> None:
    await lines(store, "r", "one")
    await store.change(change("r", 1, REACT, "👍"))
    assert await store.delete_room("r")
    await lines(store, "r", "again")
    assert [(m.id, m.reactions) for m in await store.page("r", None, 10)] == [(3, ())]


async def test_changes_wait_for_lines_submitted_before_them(store: MessageStore) -> None:
    """A change to a line still in flight (submitted, not awaited) finds it."""
    pending = store.append(line("r", "just sent"))
    edited = await store.change(change("r", 1, EDIT, "fixed at once"))
    assert (await pending).message.id == 1
    assert edited.event is not None
    assert edited.event.id == 2
