"""The PostgreSQL schema: migrations apply once, and an earlier schema opens with its history."""

from __future__ import annotations

import asyncpg
import pytest

from roomcast.store.base import (
    EDIT,
    Change,
    ChangeRefused,
    NewMessage,
    StoreUnavailable,
    owner_key,
)
from roomcast.store.columns import CREDENTIAL, SANCTION
from roomcast.store.migrations import migrations
from roomcast.store.postgres import PostgresStore, apply_migrations, migrate
from roomcast.wire.protocol import ChatMessage


async def test_migrations_apply_once(postgres_url: str) -> None:
    newest = migrations("postgres")[-1].version
    applied, version = await migrate(postgres_url)
    assert [m.version for m in applied] == [m.version for m in migrations("postgres")]
    assert version == newest
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await apply_migrations(conn) == []
    finally:
        await conn.close()
    assert await migrate(postgres_url) == ([], newest)


async def test_an_unreachable_server_cannot_be_migrated() -> None:
    with pytest.raises(StoreUnavailable, match="cannot reach PostgreSQL"):
        await migrate("postgresql://postgres@127.0.0.1:1/test", timeout=1.0)


async def test_a_database_of_the_first_schema_opens_with_its_history(postgres_url: str) -> None:
    first = migrations("postgres")[0]
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(first.sql)
        await conn.execute(
            "CREATE TABLE roomcast_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        await conn.execute(
            "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)", first.version, first.name
        )
        await conn.execute("INSERT INTO rooms (name, last_id, created_ms) VALUES ('lobby', 2, 1)")
        await conn.executemany(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms) VALUES ($1, $2, $3, $4,"
            " $5, $6)",
            [("lobby", n, "alice", f"old {n}", "w1", n) for n in (1, 2)],
        )
    finally:
        await conn.close()
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        assert [m.text for m in await store.page("lobby", None, 10)] == ["old 1", "old 2"]
        nxt = await store.append(NewMessage("lobby", "bob", "new", "w2", 3))
        assert nxt.message.id == 3
    finally:
        await store.close()


async def test_a_database_of_the_previous_release_migrates_and_keeps_everything(
    postgres_url: str,
) -> None:
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(
            "CREATE TABLE roomcast_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for migration in migrations("postgres")[:2]:  # the schema at version 2
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO roomcast_schema (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
        # As that release wrote them: a room owned by an account, a guest's line with its ref,
        # a line without sender, an account with a session, a role, a mute, an audit entry.
        await conn.execute(
            "INSERT INTO rooms (name, last_id, created_ms, topic, private, owner_id, owner_name)"
            " VALUES ('den', 2, 1, 'old topic', true, 'id-a', 'Alice')"
        )
        await conn.executemany(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms, sender, ref)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                ("den", 1, "guest-1", "old 1", "w1", 10, "s-guest", "i:1"),
                ("den", 2, "server", "old 2", "w0", 20, None, None),
            ],
        )
        await conn.execute(
            "INSERT INTO accounts (id, name, key, password_hash, created_ms)"
            " VALUES ('id-a', 'Alice', 'alice', 'hash', 1)"
        )
        await conn.execute(
            f"INSERT INTO credentials ({CREDENTIAL})"
            " VALUES ('c1', 'session', 'id-a', 'h1', '', 1, NULL)"
        )
        await conn.execute(
            "INSERT INTO room_roles (room, account_id, name, role)"
            " VALUES ('den', 'id-b', 'Bob', 'moderator')"
        )
        await conn.execute(
            f"INSERT INTO sanctions ({SANCTION.removesuffix(', id')}) VALUES"
            " ('den', 'mute', NULL, NULL, 'carol', 'carol', NULL, 'Alice', 'spam', 1)"
        )
        await conn.execute(
            "INSERT INTO audit_log (time_ms, actor, action, room, target, detail)"
            " VALUES (1, 'Alice', 'mute', 'den', 'carol', 'spam')"
        )
    finally:
        await conn.close()
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        old = [
            ChatMessage("den", 1, "guest-1", "old 1", "w1", 10),
            ChatMessage("den", 2, "server", "old 2", "w0", 20),
        ]
        assert await store.page("den", None, 10) == old
        assert await store.after("den", 0, 10) == old
        assert await store.message("den", 1) == old[0]
        assert await store.versions("den", 2) == [("old 2", 20)]
        resent = NewMessage("den", "guest-1", "old 1", "w1", 30, "s-guest", 1)
        assert (await store.append(resent)).message.id == 1, "its ref is still known"
        # The guest's line is its session's: it may edit it, nobody may edit the server's.
        guest = owner_key(None, "s-guest")
        edit = Change("den", 1, EDIT, guest, "guest-1", "new 1", "w1", 40)
        assert (await store.change(edit)).event is not None
        with pytest.raises(ChangeRefused):
            await store.change(Change("den", 2, EDIT, guest, "guest-1", "x", "w1", 50))
        assert await store.last_id("den") == 3
        # Unread for the guest: the server's line, not its own (nor the edit).
        await store.add_person_room(guest, "den")
        (den,) = await store.person_rooms(guest)
        assert (den.last_id, den.read_id, den.unread) == (3, 0, 1)
        account = await store.account_by_id("id-a")
        assert account is not None
        assert await store.credential("h1", 2) is not None
        access = await store.room_access("den")
        assert (access.topic, access.private, access.owner_name) == ("old topic", True, "Alice")
        assert access.moderators == {"id-b": "Bob"}
        assert [s.name for s in await store.sanctions("den", 2)] == ["carol"]
        assert [e.target for e in await store.audit_log("den", 10)] == ["carol"]
    finally:
        await store.close()
