"""Nicknames: unique across nodes, never another user's account name, remembered per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from roomcast.auth.identity import GUEST, Identity
from roomcast.chat.nicknames import Nicknames
from roomcast.chat.state import Member
from roomcast.presence.memory import MemoryPresence
from roomcast.store import Account
from roomcast.store.memory import MemoryStore
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError

Peers = Callable[[str], Any]


@pytest.fixture
async def names() -> tuple[Nicknames, MemoryPresence]:
    store, presence = MemoryStore(), MemoryPresence()
    await store.open()
    await store.create_account(Account("a1", "Alice", protocol.nick_key("Alice"), "", 0))
    return Nicknames(store, presence), presence


def member(peer: Peers, wsid: str, identity: Identity = GUEST) -> Member:
    return Member(peer(wsid), "", f"session-of-{wsid}", identity=identity)


async def test_a_nickname_is_held_by_one_connection(
    names: tuple[Nicknames, MemoryPresence], peer: Peers
) -> None:
    nicknames, presence = names
    first, second = member(peer, "w1"), member(peer, "w2")
    assert await nicknames.name_new(first, "bob") is None
    mistake = await nicknames.name_new(second, "BOB")
    assert mistake is not None
    assert mistake.code == ErrorCode.NICK_TAKEN
    assert second.nick.startswith(protocol.GUEST_PREFIX)
    assert await presence.nick_owner(protocol.nick_key("bob")) == "w1"


async def test_an_account_name_is_its_owners_alone(
    names: tuple[Nicknames, MemoryPresence], peer: Peers
) -> None:
    nicknames, _ = names
    stranger = member(peer, "w1")
    with pytest.raises(ProtocolError) as caught:
        await nicknames.claim(stranger, "alice")
    assert caught.value.code == ErrorCode.NICK_REGISTERED
    owner = member(peer, "w2", Identity("a1", "Alice"))
    assert await nicknames.name_new(owner, None) is None
    assert owner.nick == "Alice"  # an account's own name unless it asks for another


async def test_a_session_gets_its_name_back_after_a_disconnect(
    names: tuple[Nicknames, MemoryPresence], peer: Peers
) -> None:
    nicknames, presence = names
    first = member(peer, "w1")
    await nicknames.name_new(first, None)
    guest = first.nick
    nicknames.remember(first)
    await nicknames.release(first)
    assert await presence.nick_owner(protocol.nick_key(guest)) is None
    again = Member(peer("w2"), "", first.session)
    assert await nicknames.name_new(again, None) is None
    assert again.nick == guest


async def test_a_rename_takes_the_new_name_and_frees_the_old(
    names: tuple[Nicknames, MemoryPresence], peer: Peers
) -> None:
    nicknames, presence = names
    carol = member(peer, "w1")
    await nicknames.name_new(carol, "carol")
    assert not await nicknames.rename(carol, "carol", "r")
    assert await nicknames.rename(carol, "Carol", "r")  # same key: nothing to claim or free
    assert await nicknames.rename(carol, "caroline", "r")
    assert carol.nick == "caroline"
    assert await presence.nick_owner(protocol.nick_key("carol")) is None
    assert await presence.nick_owner(protocol.nick_key("caroline")) == "w1"
    with pytest.raises(ProtocolError) as caught:
        await nicknames.rename(carol, "", 5)
    assert caught.value.ref == 5
