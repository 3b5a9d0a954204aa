"""Rooms of a release before case-insensitive room names whose names now collide, for the
SQLite and PostgreSQL migration tests (0009 and 0008 rooms_and_admin): the rows, and what a store
opened on them must show."""

from __future__ import annotations

from typing import Any, Final

from roomcast.store import NewMessage, Store

LONG: Final = "L" + "o" * 63  # 64 characters: a suffix must cut it
# table -> (columns, rows). The oldest spelling of each key is the first listed here.
ROWS: Final[dict[str, tuple[str, list[tuple[Any, ...]]]]] = {
    "rooms": (
        "name, last_id, created_ms",
        [("Dev", 2, 10), ("dev", 1, 20), ("DEV", 2, 30), (LONG, 1, 1), (LONG.lower(), 1, 2)],
    ),
    "messages": (
        "room, id, author, body, wsid, sent_ms",
        [
            ("Dev", 1, "ann", "Dev one", "w1", 11),
            ("Dev", 2, "ann", "Dev two", "w1", 12),
            ("dev", 1, "bob", "dev one", "w2", 21),
            ("DEV", 1, "cat", "DEV one", "w3", 31),
            (LONG, 1, "ann", "long", "w1", 1),
            (LONG.lower(), 1, "bob", "long lower", "w2", 2),
        ],
    ),
    "room_roles": ("room, account_id, name, role", [("DEV", "acct-c", "cat", "moderator")]),
    "sanctions": (
        "room, kind, name, name_key, by_name, reason, created_ms",
        [("dev", "mute", "eve", "eve", "bob", "spam", 22)],
    ),
    "person_rooms": ("person, room, read_id, joined", [("a:acct-c", "DEV", 1, True)]),
}
# DEV's second line, which the SQLite test leaves in the journal (a killed writer's).
JOURNALED: Final = ("DEV", 2, "cat", "DEV two", "w3", 32, None, None)
# The renamings the migration makes: old name -> new name.
RENAMED: Final = {"dev": "dev-2", "DEV": "DEV-3", LONG.lower(): LONG.lower()[:62] + "-2"}


async def check_migrated(store: Store) -> None:
    """The oldest spelling kept its name and history; the others moved whole to NAME-N."""
    for spelling in ("dev", "DEV", "dEv", "Dev"):
        assert await store.room_name(spelling, claim=False) == "Dev"
    assert await store.room_name(LONG.lower(), claim=False) == LONG
    for new in RENAMED.values():
        assert await store.room_name(new.upper(), claim=False) == new
    texts = {
        "Dev": ["Dev one", "Dev two"],
        "dev-2": ["dev one"],
        "DEV-3": ["DEV one", "DEV two"],
        LONG: ["long"],
        RENAMED[LONG.lower()]: ["long lower"],
    }
    for room, expected in texts.items():
        assert [m.text for m in await store.page(room, None, 10)] == expected, room
        assert {m.room for m in await store.page(room, None, 10)} == {room}
    summaries = {r.name: r.last_id for r in await store.rooms()}
    assert summaries == {"Dev": 2, "dev-2": 1, "DEV-3": 2, LONG: 1, RENAMED[LONG.lower()]: 1}
    appended = await store.append(NewMessage("DEV-3", "cat", "DEV three", "w3", 40))
    assert appended.message.id == 3  # its IDs go on where they were
    access = await store.room_access("DEV-3")
    assert access.moderators == {"acct-c": "cat"}
    assert [s.name for s in await store.sanctions("dev-2", 0)] == ["eve"]
    rooms = await store.person_rooms("a:acct-c")
    assert [(r.room, r.read_id) for r in rooms] == [("DEV-3", 1)]
    renames = [(e.actor, e.action, e.target, e.room) for e in await store.audit_log(None, 10)]
    assert sorted(renames) == sorted(("roomcast", "rename", o, n) for o, n in RENAMED.items())
