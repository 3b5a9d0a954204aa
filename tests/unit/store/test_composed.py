"""A store composed of parts forwards every call to the part that owns it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from roomcast.store.base import (
    DELETE,
    Account,
    AuditEntry,
    Change,
    Credential,
    NewMessage,
    Sanction,
    Store,
    StoreUnavailable,
)
from roomcast.store.composed import ComposedStore
from roomcast.store.memory import MemoryStore
from roomcast.store.people import DELIVERED, Notification
from roomcast.store.search import Reader, parse
from roomcast.store.uploads import Upload
from roomcast.wire.protocol import ChatMessage, DeletedEvent

NOW = 1_800_000_000_000


async def _one(chunk: bytes) -> AsyncIterator[bytes]:
    yield chunk


class _OnMemory(ComposedStore):
    """Every part a memory store: the composition must behave as the memory store does."""

    def __init__(self, parts: MemoryStore) -> None:
        super().__init__(parts, parts, parts, parts, parts, parts, parts)
        self.parts = parts

    async def open(self) -> None:
        await self.parts.open()

    async def close(self) -> None:
        await self.parts.close()


async def test_every_call_reaches_its_part() -> None:
    store: Store = _OnMemory(MemoryStore())
    await store.open()
    assert (await store.append(NewMessage("lobby", "a", "one", "w", 1))).message.id == 1
    assert [m.text for m in await store.page("lobby", None, 5)] == ["one"]
    assert [m.id for m in await store.after("lobby", 0, 5)] == [1]
    assert [m.id for m in await store.newer("lobby", 0, 5)] == [1]
    assert [f.message.id for f in (await store.search(parse("one"), Reader())).found] == [1]
    assert await store.last_id("lobby") == 1
    assert await store.create_room("den", "t")
    assert [r.name for r in await store.rooms()] == ["den", "lobby"]
    assert (await store.room("den")) is not None
    assert await store.import_messages([ChatMessage("den", 4, "b", "x", "w", 2)]) == 1
    assert await store.message("den", 4) == ChatMessage("den", 4, "b", "x", "w", 2)
    assert await store.versions("den", 4) == [("x", 2)]
    assert [m.id for m in await store.page("den", None, 5, thread=4)] == [4]
    deletion = Change("den", 4, DELETE, "a:mod", "mod", "", "w", 3, moderator=True)
    assert (await store.change(deletion)).event == DeletedEvent("den", 5, 4, "mod", 3)
    assert await store.delete_room("den")
    account = Account("id-a", "A", "a", "hash", NOW)
    assert await store.create_account(account)
    assert await store.account_by_key("a") == account
    assert await store.account_by_id("id-a") == account
    credential = Credential("c1", "token", "id-a", "h1", "bot", NOW, None)
    await store.add_credential(credential)
    assert await store.credential("h1", NOW) == (credential, account)
    assert await store.credentials("id-a", "token") == [credential]
    assert await store.delete_credential("c1", "id-a")
    assert await store.claim_room("own", "id-a", "A", False, "")
    await store.set_topic("own", "topic")
    await store.set_role("own", "id-b", "B", "moderator")
    assert (await store.room_access("own")).moderators == {"id-b": "B"}
    mute = Sanction("own", "mute", None, None, "b", "b", None, "A", "", NOW)
    assert await store.add_sanction(mute) == 1
    assert len(await store.sanctions("own", NOW)) == 1
    assert await store.lift_sanctions("own", "mute", account_id=None, name_key="b") == 1
    await store.add_audit(AuditEntry(NOW, "A", "mute", "own", "b"))
    assert len(await store.audit_log(None, 5)) == 1
    await store.add_person_room("a:id-a", "lobby")
    assert await store.set_read("a:id-a", "lobby", 1) == 1
    assert await store.read_marker("a:id-a", "lobby") == 1
    await store.add_mentions("lobby", 1, ["a:id-a"])
    assert [r.room for r in await store.person_rooms("a:id-a")] == ["lobby"]
    await store.remove_person_room("a:id-a", "lobby")
    assert await store.create_direct("dm.x", {"id-a": "A", "id-b": "B"})
    assert await store.direct_members("dm.x") == {"id-a": "A", "id-b": "B"}
    assert await store.block("id-a", "id-b", "B")
    assert await store.blocks("id-a") == [("id-b", "B")]
    assert await store.blockers("id-b", ["id-a"]) == {"id-a"}
    assert await store.unblock("id-a", "id-b")
    assert await store.set_account_nick("id-a", "Ace", "ace")
    assert await store.account_nick("id-a") == "Ace"
    await store.enqueue_notification(
        Notification("n", "id-a", "A", "lobby", 1, "B", "hi", "mention", NOW, NOW)
    )
    (claimed,) = await store.claim_notifications(NOW, "node", 1000, 5)
    await store.finish_notification(claimed.id, DELIVERED, 1, 0)
    assert (await store.notification_counts())[DELIVERED] == 1
    upload = Upload("u", "lobby", "a:id-a", "f", "text/plain", 1, "d", NOW)
    await store.add_upload(upload, _one(b"x"), b"t", 10)
    assert await store.upload("u") == upload
    assert [c async for c in store.upload_chunks("u", 0, 0)] == [b"x"]
    assert await store.thumbnail("u") == b"t"
    assert await store.attach_uploads("lobby", "a:id-a", ["u"]) == [upload]
    await store.detach_uploads(["u"])
    assert await store.expire_uploads(NOW + 1) == 1
    await store.add_upload(upload, _one(b"x"), None, 10)
    assert await store.delete_uploads(["u"]) == 1
    await store.close()


class _SlowNames(MemoryStore):
    """A memory store whose room-name lookups wait for ``answer`` and are counted, or fail."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()
        self.lookups: list[tuple[str, bool]] = []
        self.failing = False

    async def room_name(self, name: str, *, claim: bool) -> str:
        self.lookups.append((name, claim))
        await self.answer.wait()
        if self.failing:
            raise StoreUnavailable("down")
        return await super().room_name(name, claim=claim)


async def test_clients_claiming_one_room_at_once_share_one_lookup() -> None:
    parts = _SlowNames()
    store = _OnMemory(parts)
    await store.open()
    first = asyncio.ensure_future(store.room_name("Lobby", claim=True))
    gone = asyncio.ensure_future(store.room_name("lobby", claim=True))
    others = [asyncio.ensure_future(store.room_name("LOBBY", claim=True)) for _ in range(8)]
    await asyncio.sleep(0)
    gone.cancel()  # a client that left while it waited takes no one's answer with it
    parts.answer.set()
    assert await asyncio.gather(first, *others) == ["Lobby"] * 9
    assert parts.lookups == [("Lobby", True)]
    assert await store.room_name("lObBy", claim=True) == "Lobby"  # recorded
    assert await store.room_name("den", claim=False) == "den"  # not claimed: asked each time
    assert await store.room_name("den", claim=False) == "den"
    assert parts.lookups == [("Lobby", True), ("den", False), ("den", False)]
    await store.close()


async def test_a_failed_claim_fails_its_waiters_and_the_next_claim_asks_again() -> None:
    parts = _SlowNames()
    parts.failing = True
    store = _OnMemory(parts)
    await store.open()
    waiting = [asyncio.ensure_future(store.room_name("lobby", claim=True)) for _ in range(3)]
    await asyncio.sleep(0)
    parts.answer.set()
    for outcome in await asyncio.gather(*waiting, return_exceptions=True):
        assert isinstance(outcome, StoreUnavailable)
    parts.failing = False
    assert await store.room_name("lobby", claim=True) == "lobby"
    assert parts.lookups == [("lobby", True), ("lobby", True)]
    await store.close()
