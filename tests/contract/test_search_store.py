"""The search contract of every store: the query language, folding, current state (an edit found
by its new text only, a deletion never), who may read what, paging and exact highlights; and an
index built for a database written before it existed. Memory, SQLite and PostgreSQL alike.

SQLite answers from its index and from what the indexer has not taken in yet: each behaviour is
checked at once after the writes (the tail) and again once the index has caught up.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from pathlib import Path
from typing import cast

import asyncpg
import pytest

from roomcast.store import Change, MessageStore, NewMessage, Store, owner_key
from roomcast.store.base import DELETE, EDIT
from roomcast.store.migrations import migrations
from roomcast.store.postgres import PostgresStore
from roomcast.store.search import Reader, SearchPage, parse
from roomcast.store.sqlite import SQLiteStore
from roomcast.store.sqlite.search_index import index_path

from . import test_store

kind = test_store.kind
opened = test_store.opened
store = test_store.store

ALICE = owner_key("acct-alice", "s-alice")
GUEST = Reader()
T0 = 1_700_000_000_000


def line(room: str, text: str, *, author: str = "alice", at: int = 0) -> NewMessage:
    return NewMessage(room, author, text, "wsid0001", T0 + at, "s-alice", None, ALICE)


_CLOCK = itertools.count()


async def post(store: MessageStore, room: str, *texts: str, author: str = "alice") -> list[int]:
    """Post ``texts`` in order, each a millisecond after the one before."""
    appended = await asyncio.gather(
        *(store.append(line(room, text, author=author, at=next(_CLOCK))) for text in texts)
    )
    return [a.message.id for a in appended]


async def caught_up(store: MessageStore) -> None:
    """Wait until a SQLite store's index has taken in every event (other stores: at once)."""
    if not isinstance(store, SQLiteStore):
        return
    await store._writer.settled()  # every journaled line in `messages`
    deadline = time.monotonic() + 20
    conn = sqlite3.connect(index_path(store.path))
    conn.execute("ATTACH DATABASE ? AS src", (str(store.path),))
    try:
        while True:
            behind = conn.execute(
                "SELECT count(*) FROM src.rooms r LEFT JOIN watermarks w ON w.room = r.name"
                " WHERE r.deleted = 0 AND r.last_id > coalesce(w.indexed, 0)"
            ).fetchone()[0]
            if not behind:
                return
            assert time.monotonic() < deadline, "the search index did not catch up"
            await asyncio.sleep(0.05)
    finally:
        conn.close()


async def find(
    store: MessageStore, text: str, reader: Reader = GUEST, **options: object
) -> SearchPage:
    return await cast(Store, store).search(parse(text), reader, **options)  # type: ignore[arg-type]


def ids(page: SearchPage) -> list[tuple[str, int]]:
    return [(f.message.room, f.message.id) for f in page.found]


def texts(page: SearchPage) -> set[str]:
    return {f.message.text for f in page.found}


async def both(store: MessageStore, text: str, **options: object) -> SearchPage:
    """The search at once, and again once indexed: the same lines both times."""
    first = await find(store, text, **options)  # type: ignore[arg-type]
    await caught_up(store)
    again = await find(store, text, **options)  # type: ignore[arg-type]
    assert set(ids(first)) == set(ids(again)), f"{text!r}: tail and index disagree"
    assert first.more == again.more
    return again


async def test_words_phrases_exclusions_prefixes_and_folding(store: MessageStore) -> None:
    await post(
        store,
        "general",
        "Le Café est ouvert",
        "new build released today",
        "the build is new",
        "CAFÉ NOIR, friday",
        "releasing the naïve parser",
        "nothing to see 🎉",
    )
    assert texts(await both(store, "cafe")) == {"Le Café est ouvert", "CAFÉ NOIR, friday"}
    assert texts(await both(store, "CAFÉ -friday")) == {"Le Café est ouvert"}
    assert texts(await both(store, '"new build"')) == {"new build released today"}
    assert texts(await both(store, "new build")) == {"new build released today", "the build is new"}
    assert texts(await both(store, "releas*")) == {
        "new build released today",
        "releasing the naïve parser",
    }
    assert texts(await both(store, "naive")) == {"releasing the naïve parser"}
    assert texts(await both(store, '"new bu"*')) == {"new build released today"}
    assert texts(await both(store, '-"new build" build')) == {"the build is new"}
    assert (await both(store, "absent")).found == ()


async def test_a_line_is_found_at_once_and_an_edit_by_its_new_text_only(
    store: MessageStore,
) -> None:
    await post(store, "general", "filler one", "filler two")
    await caught_up(store)
    (first,) = await post(store, "general", "the quarterly report")
    assert ids(await find(store, "quarterly")) == [("general", first)]  # before any indexing
    await caught_up(store)
    edit = Change("general", first, EDIT, ALICE, "alice", "the annual summary", "w", T0 + 9)
    await store.change(edit)
    assert (await find(store, "quarterly")).found == ()
    assert ids(await find(store, "annual")) == [("general", first)]
    await caught_up(store)
    assert (await find(store, "quarterly")).found == ()
    found = await find(store, "annual")
    assert ids(found) == [("general", first)]
    assert found.found[0].message.edited_ms == T0 + 9


async def test_a_deleted_line_is_never_found(store: MessageStore) -> None:
    kept, gone = await post(store, "general", "secret plan A", "secret plan B")
    await caught_up(store)
    await store.change(Change("general", gone, DELETE, ALICE, "alice", "", "w", T0 + 5))
    assert ids(await find(store, "secret")) == [("general", kept)]
    await caught_up(store)
    assert ids(await find(store, "secret")) == [("general", kept)]
    (fresh,) = await post(store, "general", "secret plan C")
    await store.change(Change("general", fresh, DELETE, ALICE, "alice", "", "w", T0 + 6))
    assert ids(await both(store, "secret")) == [("general", kept)]


async def test_only_rooms_the_reader_may_read(store: MessageStore) -> None:
    full = cast(Store, store)
    await full.claim_room("secret", "id-owner", "owner", True, "")
    await full.set_role("secret", "id-member", "member", "member")
    await full.set_role("secret", "id-mod", "mod", "moderator")
    await full.create_direct("dm.0123456789abcdef", {"id-a": "a", "id-b": "b"})
    await post(store, "public", "launch codes public")
    await post(store, "secret", "launch codes private")
    await post(store, "dm.0123456789abcdef", "launch codes direct")
    await caught_up(store)
    everywhere = {"public", "secret", "dm.0123456789abcdef"}
    cases = {
        GUEST: {"public"},
        Reader("id-stranger"): {"public"},
        Reader("id-owner"): {"public", "secret"},
        Reader("id-member"): {"public", "secret"},
        Reader("id-mod"): {"public", "secret"},
        Reader("id-a"): {"public", "dm.0123456789abcdef"},
        Reader(None, admin=True): everywhere,
    }
    for reader, rooms in cases.items():
        page = await find(store, "launch codes", reader)
        assert {f.message.room for f in page.found} == rooms, reader
        for room in everywhere:
            in_room = await find(store, "launch", reader, room=room)
            assert bool(in_room.found) == (room in rooms), (reader, room)


async def test_paging_in_a_room_visits_every_match_once(store: MessageStore) -> None:
    matching = await post(store, "general", *(f"match number {n} noise" for n in range(7)))
    await post(store, "general", "unrelated line")
    await post(store, "elsewhere", "match elsewhere")
    for when in ("tail", "indexed"):
        if when == "indexed":
            await caught_up(store)
        seen: list[int] = []
        before = None
        while True:
            page = await find(store, "match", room="general", before=before, limit=3)
            got = [f.message.id for f in page.found]
            assert len(got) <= 3
            seen += got
            if not page.more:
                break
            before = min(got)
        assert sorted(seen) == matching, when
        assert len(seen) == len(set(seen))


async def test_author_before_limit_and_more(store: MessageStore) -> None:
    await post(store, "general", "apple pie", "apple tart", author="alice")
    (bobs,) = await post(store, "general", "apple crumble", author="bob")
    page = await both(store, "apple", author="bob")
    assert ids(page) == [("general", bobs)]
    page = await both(store, "apple", limit=2)
    assert len(page.found) == 2
    assert page.more
    page = await both(store, "apple", limit=3)
    assert len(page.found) == 3
    assert not page.more
    page = await both(store, "apple", room="general", before=bobs)
    assert {f.message.text for f in page.found} == {"apple pie", "apple tart"}


async def test_ranked_by_relevance_then_recency(store: MessageStore) -> None:
    await post(store, "general", "rust is a language with many long words in it", "rust once")
    await post(store, "other", "rust rust rust", "rust rust and more words")
    await post(store, "general", "rust once")  # as relevant as the other, and newer
    page = await both(store, "rust")
    assert [(f.message.room, f.message.id) for f in page.found] == [
        ("other", 1),
        ("other", 2),
        ("general", 3),
        ("general", 2),
        ("general", 1),
    ]


async def test_highlights_are_exact_on_the_original_text(store: MessageStore) -> None:
    text = "Ça va? 🎉 Le CAFÉ\u0301 ouvre: nouveau café-bar, pas de CAFE!"
    await post(store, "general", text)
    (found,) = (await both(store, "cafe")).found
    assert "".join(segment for segment, _ in found.highlight) == text
    assert [s for s, hit in found.highlight if hit] == ["CAFÉ\u0301", "café", "CAFE"]
    (phrase,) = (await both(store, '"nouveau cafe"')).found
    assert [s for s, hit in phrase.highlight if hit] == ["nouveau", "café"]  # words, not spaces


async def test_state_of_the_line_as_history_gives_it(store: MessageStore) -> None:
    (target,) = await post(store, "general", "reacted line")
    react = Change("general", target, "react", ALICE, "alice", "👍", "w", T0 + 1)
    await store.change(react)
    (found,) = (await both(store, "reacted")).found
    (page,) = await store.page("general", None, 1)
    assert found.message == page


def _forget_index(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index_path(path)}{suffix}").unlink(missing_ok=True)


async def test_an_existing_sqlite_database_gets_its_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SQLiteStore(path, search_index=False)
    await old.open()
    await post(old, "general", "written before the index", "Été indien")
    await old.close()
    _forget_index(path)  # as a database of a release before search
    new = SQLiteStore(path)
    await new.open()
    try:
        await caught_up(new)
        conn = sqlite3.connect(index_path(path))
        assert conn.execute("SELECT count(*) FROM docs").fetchone()[0] == 2
        conn.close()
        assert texts(await find(new, "ete")) == {"Été indien"}
    finally:
        await new.close()


async def test_a_burst_the_index_has_not_taken_in_is_found_whole(tmp_path: Path) -> None:
    """Lines not indexed yet are evaluated as the search runs: a burst of 7,000 in one room (more
    than the indexer takes of a room in one batch) is found whole, beside another room's line."""
    store = SQLiteStore(tmp_path / "burst.db", search_index=False)  # no indexer: all is tail
    await store.open()
    try:
        await asyncio.gather(
            *(store.append(line("busy", f"word{n:05d} of the burst")) for n in range(1, 7001))
        )
        await post(store, "quiet", "word07001 elsewhere")
        await store._writer.settled()  # out of the writer's journal: only the tail has them
        for n in (1, 2500, 4999, 7000, 7001):
            assert len((await find(store, f"word{n:05d}")).found) == 1, n
    finally:
        await store.close()


async def test_an_existing_postgres_database_gets_its_index(postgres_url: str) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(
            "CREATE TABLE roomcast_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for migration in migrations("postgres"):
            if migration.version < 6:
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
        await conn.execute("INSERT INTO rooms (name, last_id, created_ms) VALUES ('old', 2, 0)")
        await conn.execute(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms) VALUES"
            " ('old', 1, 'a', 'Été indien', 'w', 0), ('old', 2, 'a', 'plain line', 'w', 1)"
        )
    finally:
        await conn.close()
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        assert texts(await find(store, "ete")) == {"Été indien"}
        (new,) = await post(store, "old", "a new line, ete")
        assert {f.message.id for f in (await find(store, "ete")).found} == {1, new}
    finally:
        await store.close()


@pytest.mark.parametrize("bad", ["", "   ", '"open', "-only", '-"only this"', "x*", "🎉"])
async def test_queries_that_say_nothing_are_refused(bad: str) -> None:
    from roomcast.wire.protocol import ErrorCode, ProtocolError

    with pytest.raises(ProtocolError) as refused:
        parse(bad)
    assert refused.value.code == ErrorCode.BAD_FIELD
