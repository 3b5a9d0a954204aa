"""The AccessStore contract: accounts, credentials, room roles, sanctions, deletions and the audit
log behave the same in memory, SQLite and PostgreSQL (the fixtures of ``test_store`` make them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from roomcast.store import Account, AuditEntry, AuditQuery, Credential, Sanction, Store

from . import test_store
from .test_store import StoreKind, new

# The fixtures of the MessageStore contract: the same three stores.
kind = test_store.kind
opened = test_store.opened
store = test_store.store

NOW = 1_800_000_000_000


def account(name: str, key: str | None = None) -> Account:
    return Account(f"id-{name}", name, key or name.lower(), "$argon2id$hash", NOW)


def sanction(room: str, kind: str, **fields: Any) -> Sanction:
    values: dict[str, Any] = {
        "account_id": None,
        "ip": None,
        "name": "bob",
        "name_key": "bob",
        "until_ms": None,
        "by": "mod",
        "reason": "",
        "created_ms": NOW,
    }
    values.update(fields)
    return Sanction(room, kind, **values)


async def test_accounts_are_unique_by_key(store: Store) -> None:
    alice = account("Alice")
    assert await store.create_account(alice)
    assert not await store.create_account(account("ALICE", key="alice"))
    assert await store.account_by_key("alice") == alice
    assert await store.account_by_id("id-Alice") == alice
    assert await store.account_by_key("bob") is None
    assert await store.account_by_id("nobody") is None


async def test_credentials_resolve_expire_and_are_revoked(store: Store) -> None:
    alice = account("alice")
    await store.create_account(alice)
    session = Credential("c1", "session", alice.id, "hash-1", "", NOW, NOW + 1000)
    token = Credential("c2", "token", alice.id, "hash-2", "bot", NOW, None)
    await store.add_credential(session)
    await store.add_credential(token)
    assert await store.credential("hash-1", NOW) == (session, alice)
    assert await store.credential("hash-1", NOW + 1000) is None  # expired
    assert await store.credential("hash-2", NOW + 10**9) == (token, alice)
    assert await store.credential("unknown", NOW) is None
    assert await store.credentials(alice.id, "token") == [token]
    assert not await store.delete_credential("c2", "id-someone-else")
    assert await store.delete_credential("c2", alice.id)
    assert await store.credential("hash-2", NOW) is None
    assert await store.credentials(alice.id, "token") == []


async def test_rooms_have_owners_roles_privacy_and_topics(store: Store) -> None:
    unknown = await store.room_access("anywhere")
    assert (unknown.private, unknown.owner_id, unknown.moderators, unknown.members) == (
        False,
        None,
        {},
        {},
    )
    assert await store.claim_room("secret", "id-alice", "alice", True, "plans")
    assert not await store.claim_room("secret", "id-bob", "bob", False, "")
    await store.append(new("public", "hello"))
    assert not await store.claim_room("public", "id-bob", "bob", True, "")  # has history
    await store.set_role("secret", "id-bob", "bob", "moderator")
    await store.set_role("secret", "id-carol", "carol", "member")
    await store.set_topic("secret", "new plans")
    access = await store.room_access("secret")
    assert (access.private, access.owner_id, access.owner_name, access.topic) == (
        True,
        "id-alice",
        "alice",
        "new plans",
    )
    assert access.moderators == {"id-bob": "bob"}
    assert access.members == {"id-carol": "carol"}
    await store.set_role("secret", "id-bob", "bob", "member")
    await store.set_role("secret", "id-carol", "carol", None)
    access = await store.room_access("secret")
    assert (access.moderators, access.members) == ({}, {"id-bob": "bob"})
    assert "secret" in {room.name for room in await store.rooms()}
    # Deleting the room forgets its owner, roles and privacy; it can be claimed again.
    assert await store.delete_room("secret")
    fresh = await store.room_access("secret")
    assert (fresh.private, fresh.owner_id, fresh.members) == (False, None, {})
    assert await store.claim_room("secret", "id-bob", "bob", False, "")


async def test_sanctions_expire_and_are_lifted_by_account_or_name(store: Store) -> None:
    ban_id = await store.add_sanction(sanction("r", "ban", account_id="id-bob"))
    await store.add_sanction(sanction("r", "ban", ip="10.0.0.9", name="guest-1", name_key="g1"))
    await store.add_sanction(sanction("r", "mute", account_id="id-bob", until_ms=NOW + 500))
    await store.add_sanction(sanction("other", "ban", account_id="id-bob"))
    active = await store.sanctions("r", NOW)
    assert [(s.kind, s.account_id, s.ip) for s in active] == [
        ("ban", "id-bob", None),
        ("ban", None, "10.0.0.9"),
        ("mute", "id-bob", None),
    ]
    assert active[0].id == ban_id > 0
    assert active[1] == sanction(
        "r", "ban", ip="10.0.0.9", name="guest-1", name_key="g1", id=active[1].id
    )
    assert [s.kind for s in await store.sanctions("r", NOW + 500)] == ["ban", "ban"]
    assert await store.lift_sanctions("r", "ban", account_id="id-bob", name_key="bob") == 1
    assert await store.lift_sanctions("r", "ban", account_id=None, name_key="g1") == 1
    assert await store.lift_sanctions("r", "ban", account_id=None, name_key="g1") == 0
    assert [s.kind for s in await store.sanctions("r", NOW)] == ["mute"]
    assert len(await store.sanctions("other", NOW)) == 1


async def test_audit_log_newest_first_per_room(store: Store) -> None:
    entries = [
        AuditEntry(NOW + i, "mod", action, room, "bob", f"detail {i}")
        for i, (action, room) in enumerate([("kick", "a"), ("ban", "b"), ("delete", "a")])
    ]
    for entry in entries:
        await store.add_audit(entry)
    assert await store.audit_log(None, 10) == entries[::-1]
    assert await store.audit_log("a", 10) == [entries[2], entries[0]]
    assert await store.audit_log(None, 1) == [entries[2]]


async def test_access_outlives_the_store_object(
    kind: StoreKind,
    opened: Callable[[], Awaitable[Store]],
) -> None:
    if not kind.durable:
        pytest.skip("memory does not persist")
    first = await opened()
    await first.create_account(account("alice"))
    await first.claim_room("secret", "id-alice", "alice", True, "")
    await first.add_audit(AuditEntry(NOW, "alice", "create", "secret", "secret"))
    await first.close()
    second = await opened()
    assert (await second.account_by_key("alice")) == account("alice")
    assert (await second.room_access("secret")).private
    assert len(await second.audit_log("secret", 5)) == 1


async def test_accounts_are_listed_searched_flagged_and_signed_out(store: Store) -> None:
    for name in ("carla", "Alice", "bob", "alina"):
        await store.create_account(account(name))
    assert [a.name for a in await store.accounts("", 10)] == ["Alice", "alina", "bob", "carla"]
    assert [a.name for a in await store.accounts("li", 10)] == ["Alice", "alina"]
    assert [a.name for a in await store.accounts("", 2)] == ["Alice", "alina"]
    assert await store.accounts("zed", 10) == []
    changed = await store.set_account_flags("id-bob", disabled=True)
    assert changed is not None
    assert (changed.disabled, changed.admin) == (True, False)
    changed = await store.set_account_flags("id-bob", admin=True)
    assert changed is not None
    assert (changed.disabled, changed.admin) == (True, True)  # the other flag stays
    bob = await store.account_by_key("bob")
    assert bob is not None
    assert (bob.disabled, bob.admin) == (True, True)
    assert await store.set_account_flags("nobody", admin=True) is None
    for n, kind in enumerate(("session", "session", "token")):
        await store.add_credential(Credential(f"c{n}", kind, "id-bob", f"h{n}", "", NOW, None))
    await store.add_credential(Credential("c9", "session", "id-carla", "h9", "", NOW, None))
    assert await store.delete_credentials("id-bob", "session") == 2
    assert [c.id for c in await store.credentials("id-bob", "token")] == ["c2"]
    assert await store.credentials("id-bob", "session") == []
    found = await store.credential("h9", NOW)
    assert found is not None
    assert found[1].disabled is False  # flags come with a credential's account


async def test_audit_log_filters(store: Store) -> None:
    entries = [
        AuditEntry(NOW + 1, "ann", "kick", "dev", "bob"),
        AuditEntry(NOW + 2, "ann", "ban", "ops", "eve"),
        AuditEntry(NOW + 3, "root", "disable", "", "bob"),
        AuditEntry(NOW + 4, "ann", "kick", "ops", "eve"),
    ]
    for entry in entries:
        await store.add_audit(entry)
    listed = store.audit_log
    assert await listed(None, 10, AuditQuery(actor="ann")) == [entries[3], entries[1], entries[0]]
    assert await listed(None, 10, AuditQuery(action="kick")) == [entries[3], entries[0]]
    assert await listed("ops", 10, AuditQuery(action="kick")) == [entries[3]]
    window = AuditQuery(since_ms=NOW + 2, until_ms=NOW + 4)
    assert await listed(None, 10, window) == [entries[2], entries[1]]
    assert await listed(None, 1, AuditQuery(actor="ann")) == [entries[3]]
    assert await listed(None, 10, AuditQuery(actor="nobody")) == []


async def test_nodes_leave_their_numbers_and_old_ones_go(store: Store) -> None:
    await store.put_node_stats("b", NOW, '{"n": 1}')
    await store.put_node_stats("a", NOW - 10_000, '{"n": 2}')
    await store.put_node_stats("b", NOW + 5, '{"n": 3}')  # a node's newer numbers replace
    assert await store.node_stats(NOW - 20_000) == [
        ("a", NOW - 10_000, '{"n": 2}'),
        ("b", NOW + 5, '{"n": 3}'),
    ]
    assert await store.node_stats(NOW - 5_000) == [("b", NOW + 5, '{"n": 3}')]
    assert await store.node_stats(NOW - 20_000) == [("b", NOW + 5, '{"n": 3}')]  # "a" was deleted
