"""Chat lines: the mute check against the clock, store, publish and ack; the server's own posts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from roomcast.broker.memory import MemoryBroker
from roomcast.chat.background import Background
from roomcast.chat.files import Files
from roomcast.chat.lines import SYSTEM_AUTHOR, ChatLines
from roomcast.chat.state import Member, Peer, Subscription
from roomcast.ops.metrics import Metrics
from roomcast.store import OutcomeUnknown, StoreUnavailable
from roomcast.store.memory import MemoryStore
from roomcast.store.uploads import Upload
from roomcast.wire.protocol import ErrorCode, ProtocolError, SendChat

Peers = Callable[[str], Any]


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


class Published:
    """A broker listener that keeps what the broker delivers."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, int, bytes]] = []

    def deliver(self, room: str, message_id: int, payload: bytes) -> None:
        self.messages.append((room, message_id, payload))

    def control(self, room: str, payload: bytes) -> None: ...

    def presence_changed(self, room: str) -> None: ...

    def resubscribed(self) -> None: ...


class World:
    def __init__(self, clock: Any) -> None:
        self.store = MemoryStore()
        self.broker = MemoryBroker()
        self.published = Published()
        self.errors: list[tuple[str, ProtocolError]] = []
        self.background = Background()
        self.files = Files(self.store, clock, 3600, self.background.spawn)
        self.lines = ChatLines(
            self.store, self.broker, Metrics(), clock, 100, self.report, self.files
        )

    def report(self, peer: Peer, error: ProtocolError) -> None:
        self.errors.append((peer.wsid, error))

    async def start(self) -> None:
        await self.store.open()
        await self.broker.start(self.published)
        self.broker.subscribe("r")


def seated(peer: Peers, muted_until: int = 0) -> Member:
    member = Member(peer("a"), "alice", "session-of-alice")
    member.subscribe(Subscription(member, "r", muted_until=muted_until))
    return member


async def test_a_line_is_stored_published_and_acknowledged(clock: Any, peer: Peers) -> None:
    world = World(clock)
    await world.start()
    alice = seated(peer)
    world.lines.send(alice, "r", SendChat("hello", ref="r1"))
    await asyncio.sleep(0.01)
    [(room, message_id, _)] = world.published.messages
    assert (room, message_id) == ("r", 1)
    [ack] = alice.peer.of("Ack")
    assert (ack["ID"], ack["Ref"]) == (1, "r1")
    [stored] = await world.store.page("r", None, 10)
    assert (stored.author, stored.sent_ms) == ("alice", clock.now_ms())


async def test_a_muted_member_talks_again_when_the_mute_ends(clock: Any, peer: Peers) -> None:
    world = World(clock)
    await world.start()
    alice = seated(peer, muted_until=clock.now_ms() + 1000)
    with pytest.raises(ProtocolError) as caught:
        world.lines.send(alice, "r", SendChat("hi"))
    assert caught.value.code == ErrorCode.MUTED
    clock.advance(1.0)
    world.lines.send(alice, "r", SendChat("hi"))
    await asyncio.sleep(0.01)
    assert len(world.published.messages) == 1


async def test_a_store_outage_is_reported_to_the_sender(
    clock: Any, peer: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(clock)
    await world.start()
    monkeypatch.setattr(
        world.store, "submit", lambda new, done: done(StoreUnavailable("disk on fire"))
    )
    world.lines.send(seated(peer), "r", SendChat("hi", ref=3))
    [(wsid, error)] = world.errors
    assert (wsid, error.code, error.ref) == ("a", ErrorCode.STORE_UNAVAILABLE, 3)
    assert world.published.messages == []


async def test_a_line_not_stored_gives_its_uploads_back(
    clock: Any, peer: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(clock)
    await world.start()
    alice = seated(peer)
    upload = Upload("u1", "r", alice.owner, "f.txt", "text/plain", 1, "d", clock.now_ms())
    await world.store.add_upload(upload, _chunks(b"x"), None, 100)
    line = SendChat("", room="r", ref=1, attachments=("u1",))
    claimed = await world.files.claim(alice, "r", line)
    assert claimed == (upload.attachment(),)
    monkeypatch.setattr(world.store, "submit", lambda new, done: done(StoreUnavailable("down")))
    world.lines.send(alice, "r", line, attachments=claimed)
    await world.background.wait(1)
    monkeypatch.undo()
    assert await world.files.claim(alice, "r", line) == claimed, "attachable again"
    world.lines.send(alice, "r", line, attachments=claimed)
    [stored] = await world.store.page("r", None, 10)
    assert stored.attachments == claimed


async def test_an_unknown_outcome_is_reported_as_such_and_keeps_the_uploads(
    clock: Any, peer: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(clock)
    await world.start()
    alice = seated(peer)
    upload = Upload("u1", "r", alice.owner, "f.txt", "text/plain", 1, "d", clock.now_ms())
    await world.store.add_upload(upload, _chunks(b"x"), None, 100)
    line = SendChat("", room="r", ref=4, attachments=("u1",))
    claimed = await world.files.claim(alice, "r", line)
    monkeypatch.setattr(world.store, "submit", lambda new, done: done(OutcomeUnknown("lost")))
    world.lines.send(alice, "r", line, attachments=claimed)
    await world.background.wait(1)
    [(wsid, error)] = world.errors
    assert (wsid, error.code, error.ref) == ("a", ErrorCode.OUTCOME_UNKNOWN, 4)
    assert "same Ref" in str(error)
    assert world.published.messages == []
    with pytest.raises(ProtocolError) as caught:  # the line may hold it: not given back
        await world.files.claim(alice, "r", SendChat("", room="r", ref=5, attachments=("u1",)))
    assert caught.value.code == ErrorCode.ATTACHMENT_USED


async def test_the_server_posts_validated_lines_of_its_own(clock: Any) -> None:
    world = World(clock)
    await world.start()
    message = await world.lines.post("r", "maintenance at noon")
    assert (message.author, message.id) == (SYSTEM_AUTHOR, 1)
    assert world.published.messages[0][1] == 1
    with pytest.raises(ProtocolError):
        await world.lines.post("r", "x" * 101)
