"""The PostgreSQL access queries: each call borrows one pooled connection, none opens one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from roomcast.store.base import Account, Credential
from roomcast.store.postgres import PostgresStore

NOW = 1_800_000_000_000


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    opened = PostgresStore(postgres_url)
    await opened.open()
    yield opened
    await opened.close()


async def test_room_access_reads_the_room_and_its_roles_on_one_connection(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await store.claim_room("den", "id-alice", "Alice", True, "hi")
    await store.set_role("den", "id-zed", "zed", "moderator")
    await store.set_role("den", "id-bob", "Bob", "member")
    await store.set_role("den", "id-amy", "amy", "moderator")
    borrowed = []
    connection = store._pool.connection

    def counted() -> AbstractAsyncContextManager[Any]:
        borrowed.append(1)
        return connection()

    monkeypatch.setattr(store._pool, "connection", counted)
    access = await store.room_access("den")
    assert len(borrowed) == 1
    assert (access.owner_id, access.private, access.topic) == ("id-alice", True, "hi")
    assert list(access.moderators.values()) == ["amy", "zed"]
    assert access.members == {"id-bob": "Bob"}


async def test_logins_borrow_pooled_connections(store: PostgresStore) -> None:
    account = Account("id-alice", "Alice", "alice", "$argon2id$hash", NOW)
    assert await store.create_account(account)
    for number in range(20):
        credential = Credential(f"c{number}", "session", account.id, f"h{number}", "", NOW, None)
        await store.add_credential(credential)
        found = await store.credential(f"h{number}", NOW)
        assert found == (credential, account)
    pool = store._pool._pool
    assert pool is not None
    assert 1 <= pool.get_size() <= 4, "the pool holds at most pool_size connections"
