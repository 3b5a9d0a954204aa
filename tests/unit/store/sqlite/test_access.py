"""The SQLite store's access control: logins and moderation read on the loop's thread and write
on the writer's connection, so none of them opens a database connection."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from roomcast.store.base import (
    Account,
    AuditEntry,
    Credential,
    NewMessage,
    Sanction,
    StoreUnavailable,
)
from roomcast.store.sqlite import SQLiteStore

NOW = 1_800_000_000_000
ALICE = Account("id-alice", "Alice", "alice", "$argon2id$hash", NOW)


def _credential(number: int) -> Credential:
    return Credential(f"c{number}", "session", ALICE.id, f"hash-{number}", "web", NOW, None)


def _mute(room: str) -> Sanction:
    return Sanction(room, "mute", None, None, "bob", "bob", None, "mod", "", NOW)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "chat.db")
    await opened.open()
    await opened.append(NewMessage("lobby", "alice", "one", "w1", 1))
    # The long-lived read connections: the loop thread's, and the reader thread's (for the audit
    # log below).
    await opened.last_id("lobby")
    await opened.rooms()
    yield opened
    await opened.close()


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every SQLite connection opened from now on."""
    opened: list[Any] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(args)
        conn: sqlite3.Connection = real(*args, **kwargs)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return opened


async def test_logins_and_moderation_open_no_connection(
    store: SQLiteStore, connections: list[Any]
) -> None:
    assert await store.create_account(ALICE)
    for number in range(20):  # as many logins
        await store.add_credential(_credential(number))
        found = await store.credential(f"hash-{number}", NOW)
        assert found is not None
        assert found[1] == ALICE
    assert len(await store.credentials(ALICE.id, "session")) == 20
    assert await store.delete_credential("c0", ALICE.id)
    assert await store.claim_room("den", ALICE.id, "Alice", True, "hi")
    await store.set_role("den", "id-bob", "Bob", "moderator")
    await store.set_topic("den", "hello")
    sanction = await store.add_sanction(_mute("den"))
    assert [s.id for s in await store.sanctions("den", NOW)] == [sanction]
    assert await store.lift_sanctions("den", "mute", account_id=None, name_key="bob") == 1
    await store.add_audit(AuditEntry(NOW, "Alice", "mute", "den", "bob"))
    assert len(await store.audit_log("den", 10)) == 1
    access = await store.room_access("den")
    assert (access.topic, access.private, access.moderators) == ("hello", True, {"id-bob": "Bob"})
    assert connections == []


async def test_access_writes_keep_their_place_among_appends(store: SQLiteStore) -> None:
    sent = store.append(NewMessage("den", "alice", "first", "w1", 2))
    # Submitted after the append, not awaited in between: the room it made exists already.
    assert not await store.claim_room("den", ALICE.id, "Alice", True, "")
    assert (await sent).message.id == 1
    assert not (await store.room_access("den")).private


async def test_a_write_from_another_connection_is_seen(store: SQLiteStore, tmp_path: Path) -> None:
    admin = SQLiteStore(tmp_path / "chat.db")
    await admin.open()
    try:
        await admin.add_sanction(_mute("lobby"))
        assert await admin.import_messages([]) == 0
    finally:
        await admin.close()
    assert [s.kind for s in await store.sanctions("lobby", NOW)] == ["mute"]
    assert (await store.append(NewMessage("lobby", "bob", "two", "w2", 2))).message.id == 2


async def test_a_failed_access_write_is_store_unavailable_and_the_writer_goes_on(
    store: SQLiteStore,
) -> None:
    await store.add_credential(_credential(1))
    with pytest.raises(StoreUnavailable, match="UNIQUE constraint failed"):
        await store.add_credential(_credential(1))
    # Text SQLite cannot encode is the caller's error, raised as it is.
    with pytest.raises(UnicodeEncodeError):
        await store.add_audit(AuditEntry(NOW, "\ud800", "mute", "lobby", "bob"))
    assert (await store.append(NewMessage("lobby", "alice", "two", "w1", 2))).message.id == 2
    assert await store.audit_log(None, 10) == []


async def test_access_writes_need_an_open_store(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "chat.db")
    with pytest.raises(StoreUnavailable, match="not open"):
        await store.create_account(ALICE)
    await store.open()
    await store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.create_account(ALICE)
