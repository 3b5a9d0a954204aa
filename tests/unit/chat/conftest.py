"""Fixtures of the chat tests: a hub on the memory store, broker and presence, wired the way
the server wires it but with a fake clock, and peers that record the payloads they are sent."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest

from roomcast.broker.memory import MemoryBroker
from roomcast.chat.hub import Hub
from roomcast.chat.state import DirectFanout, Member
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.ops.wiring import build_hub
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore
from roomcast.wire.protocol import ProtocolError, parse


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now_ms: int = 1_700_000_000_000) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms

    def monotonic(self) -> float:
        return self.ms / 1000

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


class RecordingPeer:
    """A ``Peer`` that keeps every payload it is sent, decoded."""

    def __init__(self, wsid: str) -> None:
        self.wsid = wsid
        self.frames: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    def send(self, payload: bytes) -> None:
        self.frames.append(orjson.loads(payload))

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["Type"] == kind]


def b64(text: str) -> str:
    """The base64 a frame's Message carries."""
    return base64.b64encode(text.encode()).decode()


async def send_frame(hub: Hub, member: Member, frame: dict[str, Any]) -> None:
    """Send ``frame`` as a connection does: a frame that does not parse gets its Error."""
    try:
        command = parse(orjson.dumps(frame))
    except ProtocolError as exc:
        hub.send_error(member.peer, exc)
        return
    await hub.handle(member, command)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def peer() -> Callable[[str], RecordingPeer]:
    return RecordingPeer


@pytest.fixture
async def hub(clock: FakeClock) -> AsyncIterator[Hub]:
    the_hub = build_hub(
        Settings(userlist_interval=0.01),
        MemoryStore(),
        MemoryBroker(),
        MemoryPresence(),
        fanout=DirectFanout,
        metrics=Metrics(),
        clock=clock,
    )
    await the_hub.start()
    yield the_hub
    await the_hub.stop()
