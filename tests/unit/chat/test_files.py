"""The chat side of files: claiming a line's uploads (the mute first, the store's refusals as
Error codes), deleting a deleted line's files, and the sweep of uploads no line took."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roomcast.chat.background import Background
from roomcast.chat.files import Files
from roomcast.chat.state import Member, Subscription
from roomcast.store.memory import MemoryStore
from roomcast.store.uploads import Upload
from roomcast.wire.protocol import ErrorCode, ProtocolError, SendChat


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _stored(store: MemoryStore, upload_id: str, owner: str, created_ms: int) -> Upload:
    upload = Upload(upload_id, "r", owner, "f", "text/plain", 1, "d", created_ms)
    await store.add_upload(upload, _one(b"x"), None, 1000)
    return upload


def _member(peer: Any, muted_until: int = 0) -> Member:
    member = Member(peer("a"), "alice", "session-of-alice")
    member.subscribe(Subscription(member, "r", muted_until=muted_until))
    return member


async def test_a_claim_refuses_the_muted_and_what_the_store_refuses(clock: Any, peer: Any) -> None:
    store = MemoryStore()
    files = Files(store, clock, 3600, Background().spawn)
    alice = _member(peer, muted_until=clock.now_ms() + 1000)
    await _stored(store, "u", alice.owner, clock.now_ms())
    line = SendChat("", room="r", ref=7, attachments=("u",))
    with pytest.raises(ProtocolError) as muted:
        await files.claim(alice, "r", line)
    assert (muted.value.code, muted.value.ref) == (ErrorCode.MUTED, 7)
    clock.advance(2)
    assert [a.id for a in await files.claim(alice, "r", line)] == ["u"]
    with pytest.raises(ProtocolError) as used:
        await files.claim(alice, "r", line)
    assert (used.value.code, used.value.ref) == (ErrorCode.ATTACHMENT_USED, 7)
    assert await files.claim(alice, "r", SendChat("text only", room="r")) == ()


async def test_the_sweep_takes_only_what_waited_too_long(clock: Any, peer: Any) -> None:
    store = MemoryStore()
    files = Files(store, clock, 3600, Background().spawn)
    owner = _member(peer).owner
    await _stored(store, "old", owner, clock.now_ms() - 3_601_000)
    await _stored(store, "young", owner, clock.now_ms() - 3_599_000)
    await _stored(store, "taken", owner, clock.now_ms() - 9_999_000)
    await store.attach_uploads("r", owner, ["taken"])
    assert await files.sweep() == 1
    assert [await store.upload(i) is not None for i in ("old", "young", "taken")] == [
        False,
        True,
        True,
    ]


async def test_the_sweeper_runs_until_stopped(clock: Any, peer: Any) -> None:
    store = MemoryStore()
    files = Files(store, clock, 0.5, Background().spawn)  # sweeps every 0.05 s
    await _stored(store, "old", _member(peer).owner, clock.now_ms() - 1000)
    files.start()
    for _ in range(100):
        if await store.upload("old") is None:
            break
        await asyncio.sleep(0.01)
    await files.stop()
    assert await store.upload("old") is None
