"""One contract for every MessageStore: memory, SQLite and PostgreSQL pass the same tests.

Tests that need history to outlive the store object, or several nodes writing at once, say so
with the ``durable`` and ``shared`` capabilities and are skipped where they cannot hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from roomcast.store import Appended, MessageStore, NewMessage, StoreUnavailable
from roomcast.store.memory import MemoryStore
from roomcast.store.postgres import PostgresStore
from roomcast.store.sqlite import SQLiteStore
from roomcast.wire.protocol import ChatMessage


@dataclass
class StoreKind:
    """How to make stores of one implementation; all stores made share one database."""

    name: str
    make: Callable[[], MessageStore]
    durable: bool
    shared: bool


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def kind(request: pytest.FixtureRequest, tmp_path: Path) -> StoreKind:
    if request.param == "memory":
        return StoreKind("memory", MemoryStore, durable=False, shared=False)
    if request.param == "sqlite":
        return StoreKind(
            "sqlite", lambda: SQLiteStore(tmp_path / "history.db"), durable=True, shared=False
        )
    url: str = request.getfixturevalue("postgres_url")
    return StoreKind("postgres", lambda: PostgresStore(url), durable=True, shared=True)


@pytest.fixture
async def opened(kind: StoreKind) -> AsyncIterator[Callable[[], Awaitable[MessageStore]]]:
    """Open stores of ``kind``; every one is closed at the end."""
    stores: list[MessageStore] = []

    async def open_one() -> MessageStore:
        store = kind.make()
        await store.open()
        stores.append(store)
        return store

    yield open_one
    for store in stores:
        await store.close()


@pytest.fixture
async def store(opened: Callable[[], Awaitable[MessageStore]]) -> MessageStore:
    return await opened()


def new(
    room: str, text: str, *, sender: str | None = None, ref: int | str | None = None
) -> NewMessage:
    return NewMessage(room, "alice", text, "wsid0001", 1_700_000_000_000, sender, ref)


async def append_all(store: MessageStore, messages: list[NewMessage]) -> list[Appended]:
    """Submit every message before waiting for any, as a pipelining client does."""
    return list(await asyncio.gather(*[store.append(m) for m in messages]))


async def test_ids_start_at_one_and_increase_per_room(store: MessageStore) -> None:
    done = await append_all(store, [new("a", "1"), new("b", "1"), new("a", "2"), new("a", "3")])
    assert [(d.message.room, d.message.id) for d in done] == [
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("a", 3),
    ]
    assert not any(d.duplicate for d in done)
    assert await store.last_id("a") == 3
    assert await store.last_id("b") == 1
    assert await store.last_id("nowhere") == 0
    later = await store.append(new("a", "4"))
    assert later.message.id == 4


async def test_futures_resolve_in_submission_order(store: MessageStore) -> None:
    order: list[int] = []
    futures = [store.append(new(f"r{i % 3}", str(i))) for i in range(60)]
    for index, future in enumerate(futures):
        future.add_done_callback(lambda _, index=index: order.append(index))
    await asyncio.gather(*futures)
    assert order == list(range(60))


async def test_submit_reports_each_outcome_once_in_submission_order(store: MessageStore) -> None:
    outcomes: list[tuple[int, Appended | StoreUnavailable]] = []
    for index in range(60):
        store.submit(
            new(f"r{index % 3}", str(index)),
            lambda outcome, index=index: outcomes.append((index, outcome)),
        )
    for _ in range(200):  # at most 10 s
        if len(outcomes) >= 60:
            break
        await asyncio.sleep(0.05)
    assert [index for index, _ in outcomes] == list(range(60))
    messages = [outcome.message for _, outcome in outcomes if isinstance(outcome, Appended)]
    assert [(m.room, m.id, m.text) for m in messages] == [
        (f"r{index % 3}", index // 3 + 1, str(index)) for index in range(60)
    ]
    await asyncio.sleep(0.1)
    assert len(outcomes) == 60


async def test_a_failing_callback_does_not_stop_the_others(store: MessageStore) -> None:
    reported: list[int] = []

    def fail(outcome: Appended | StoreUnavailable) -> None:
        raise RuntimeError("a broken submitter")

    store.submit(new("r", "1"), fail)
    second = store.append(new("r", "2"))
    assert (await second).message.id == 2
    store.submit(new("r", "3"), lambda outcome: reported.append(3))
    await store.append(new("r", "4"))
    assert reported == [3]


async def test_stored_message_keeps_every_field(store: MessageStore) -> None:
    text = "héllo 👋 \n\t<b>&amp;</b> " + "x" * 3000
    sent = NewMessage("room-1", "Zoë", text, "abcdef0123456789", 1_712_345_678_901)
    stored = (await store.append(sent)).message
    assert stored == ChatMessage("room-1", 1, "Zoë", text, "abcdef0123456789", 1_712_345_678_901)
    assert await store.page("room-1", None, 10) == [stored]


async def test_ref_makes_a_resend_idempotent(store: MessageStore) -> None:
    first = await store.append(new("a", "hello", sender="s1", ref=7))
    again = await store.append(new("a", "hello", sender="s1", ref=7))
    assert not first.duplicate
    assert again.duplicate
    assert again.message == first.message
    assert await store.last_id("a") == 1
    # Another sender, or the string "7" instead of the number 7, is another message.
    other = await store.append(new("a", "hello", sender="s2", ref=7))
    text_ref = await store.append(new("a", "hello", sender="s1", ref="7"))
    assert (other.message.id, text_ref.message.id) == (2, 3)
    assert not other.duplicate
    assert not text_ref.duplicate


async def test_resend_in_the_same_batch_is_recognised(store: MessageStore) -> None:
    done = await append_all(
        store,
        [
            new("a", "one", sender="s", ref="r1"),
            new("a", "two"),
            new("a", "one", sender="s", ref="r1"),
        ],
    )
    assert [d.duplicate for d in done] == [False, False, True]
    assert done[2].message == done[0].message
    assert [m.text for m in await store.page("a", None, 10)] == ["one", "two"]


async def test_page_and_after(store: MessageStore) -> None:
    await append_all(store, [new("a", str(i)) for i in range(1, 11)] + [new("b", "x")])

    async def texts(result: Awaitable[list[ChatMessage]]) -> list[str]:
        return [m.text for m in await result]

    assert await texts(store.page("a", None, 3)) == ["8", "9", "10"]
    assert await texts(store.page("a", 8, 3)) == ["5", "6", "7"]
    assert await texts(store.page("a", 2, 5)) == ["1"]
    assert await texts(store.page("a", 1, 5)) == []
    assert await texts(store.after("a", 0, 3)) == ["1", "2", "3"]
    assert await texts(store.after("a", 7, 100)) == ["8", "9", "10"]
    assert await texts(store.after("a", 10, 5)) == []
    assert await texts(store.after("nowhere", 0, 5)) == []
    assert [m.id for m in await store.after("b", 0, 5)] == [1]


async def test_rooms_lists_rooms_with_messages_or_created(store: MessageStore) -> None:
    await append_all(store, [new("beta", "1"), new("alpha", "1"), new("alpha", "2")])
    assert await store.create_room("gamma", "a topic")
    assert not await store.create_room("gamma", "another")
    assert not await store.create_room("alpha")
    rooms = await store.rooms()
    assert [(r.name, r.last_id, r.topic) for r in rooms] == [
        ("alpha", 2, ""),
        ("beta", 1, ""),
        ("gamma", 0, "a topic"),
    ]
    summary = await store.room("gamma")
    assert summary is not None
    assert summary.topic == "a topic"
    assert await store.room("nowhere") is None


async def test_deleted_room_keeps_counting_ids(store: MessageStore) -> None:
    await append_all(store, [new("a", "1", sender="s", ref=1), new("a", "2")])
    assert await store.delete_room("a")
    assert not await store.delete_room("a")
    assert await store.room("a") is None
    assert "a" not in [r.name for r in await store.rooms()]
    assert await store.page("a", None, 10) == []
    back = await store.append(new("a", "3"))
    assert back.message.id == 3
    assert await store.room("a") is not None
    # History went with the room, refs included: the old ref is a new message now.
    again = await store.append(new("a", "1", sender="s", ref=1))
    assert not again.duplicate
    assert again.message.id == 4


async def test_import_restores_ids_and_is_idempotent(store: MessageStore) -> None:
    exported = [
        ChatMessage("old", 5, "bob", "five", "w", 1_600_000_000_000),
        ChatMessage("old", 9, "bob", "nine", "w", 1_600_000_000_500),
        ChatMessage("other", 2, "eve", "two", "w", 1_600_000_000_900),
    ]
    assert await store.import_messages(exported) == 3
    assert await store.import_messages(exported) == 0
    assert await store.last_id("old") == 9
    assert await store.page("old", None, 10) == exported[:2]
    assert (await store.append(new("old", "ten"))).message.id == 10


async def test_closed_store_refuses_appends(kind: StoreKind) -> None:
    store = kind.make()
    await store.open()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await store.append(new("a", "late"))


async def test_history_survives_reopening(
    kind: StoreKind, opened: Callable[[], Awaitable[MessageStore]]
) -> None:
    if not kind.durable:
        pytest.skip(f"{kind.name} keeps no history after close")
    first = kind.make()
    await first.open()
    await append_all(first, [new("a", "1", sender="s", ref=1), new("a", "2")])
    await first.close()
    second = await opened()
    assert [m.text for m in await second.page("a", None, 10)] == ["1", "2"]
    assert (await second.append(new("a", "1", sender="s", ref=1))).duplicate
    assert (await second.append(new("a", "3"))).message.id == 3


async def test_nodes_writing_one_room_get_distinct_gapless_ids(
    kind: StoreKind, opened: Callable[[], Awaitable[MessageStore]]
) -> None:
    if not kind.shared:
        pytest.skip(f"{kind.name} is written by one process only")
    nodes = [await opened() for _ in range(3)]
    rounds = [
        [node.append(new("busy", f"{n}-{i}")) for n, node in enumerate(nodes)] for i in range(40)
    ]
    done = await asyncio.gather(*[f for batch in rounds for f in batch])
    ids = sorted(d.message.id for d in done)
    assert ids == list(range(1, 121))
    stored = await nodes[0].after("busy", 0, 500)
    assert [m.id for m in stored] == ids
    assert {m.text for m in stored} == {d.message.text for d in done}


async def test_resend_through_another_node_is_recognised(
    kind: StoreKind, opened: Callable[[], Awaitable[MessageStore]]
) -> None:
    if not kind.shared:
        pytest.skip(f"{kind.name} is written by one process only")
    one, two = await opened(), await opened()
    first, again = await asyncio.gather(
        one.append(new("a", "hi", sender="s", ref="r")),
        two.append(new("a", "hi", sender="s", ref="r")),
    )
    assert sorted([first.duplicate, again.duplicate]) == [False, True]
    assert first.message == again.message
    assert await one.last_id("a") == 1


async def test_a_room_keeps_the_spelling_it_was_first_given(store: MessageStore) -> None:
    """Room names are case-insensitive (ASCII letters): the first claim's spelling stays."""
    assert await store.room_name("Dev", claim=False) == "Dev"  # unknown: as given, not kept
    assert await store.room_name("dEV", claim=False) == "dEV"
    assert await store.room_name("Dev", claim=True) == "Dev"
    for other in ("DEV", "dev", "dEv", "Dev"):
        assert await store.room_name(other, claim=True) == "Dev"
        assert await store.room_name(other, claim=False) == "Dev"
    # Only A-Z fold: another script's capital is another room; NFC forms are the callers'.
    assert await store.room_name("Ärger", claim=True) == "Ärger"
    assert await store.room_name("äRGER", claim=True) == "äRGER"
    assert await store.room_name("ÄRGER", claim=False) == "Ärger"
    assert await store.room_name("dev-2", claim=True) == "dev-2"


async def test_nodes_claiming_two_spellings_at_once_agree(
    kind: StoreKind, opened: Callable[[], Awaitable[MessageStore]]
) -> None:
    if not kind.shared:
        pytest.skip(f"{kind.name} is written by one process only")
    nodes = [await opened() for _ in range(4)]
    for round_ in range(10):
        spellings = [f"Race{round_}", f"RACE{round_}", f"race{round_}", f"rAcE{round_}"]
        got = await asyncio.gather(
            *[node.room_name(s, claim=True) for node, s in zip(nodes, spellings, strict=True)]
        )
        assert len(set(got)) == 1, got
        assert got[0] in spellings
