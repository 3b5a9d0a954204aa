"""The transport frames what the chat domain hands it: a room's payloads once for all members,
joined into one write per member per loop iteration; a connection's own payloads apart. Writes
are spread over event-loop turns, the heartbeat's pings too."""

from __future__ import annotations

import asyncio
from typing import Any

from roomcast.broker.memory import MemoryBroker
from roomcast.chat.state import DirectFanout
from roomcast.clock import SystemClock
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.ops.wiring import build_hub
from roomcast.presence.memory import MemoryPresence
from roomcast.store.memory import MemoryStore
from roomcast.transport.connection import (
    Outbox,
    RoomFanout,
    WebSocketConnection,
    WebSocketService,
)
from roomcast.wire.websocket import text_frame


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: Any) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False


def service() -> WebSocketService:
    settings, metrics = Settings(), Metrics()
    hub = build_hub(
        settings, MemoryStore(), MemoryBroker(), MemoryPresence(),
        fanout=DirectFanout, metrics=metrics, clock=SystemClock(),
    )  # fmt: skip
    return WebSocketService(
        hub, settings, Outbox(asyncio.get_running_loop(), metrics.fanout_seconds)
    )


def room_of(
    websockets: WebSocketService, n: int
) -> tuple[list[RecordingTransport], list[WebSocketConnection], RoomFanout]:
    """A room of ``n`` members, each on a transport of its own."""
    transports = [RecordingTransport() for _ in range(n)]
    members = [WebSocketConnection(websockets, t, "127.0.0.1") for t in transports]
    room = websockets.outbox.room()
    for member in members:
        room.add(member)
    return transports, members, room


async def test_a_rooms_payloads_are_framed_once_and_joined_per_member() -> None:
    websockets = service()
    transports, _, room = room_of(websockets, 3)
    room.send(b'{"Type":"Chat","ID":1}')
    room.send(b'{"Type":"Chat","ID":2}')
    assert all(t.writes == [] for t in transports)  # written at the end of the iteration
    await asyncio.sleep(0)
    joined = text_frame(b'{"Type":"Chat","ID":1}') + text_frame(b'{"Type":"Chat","ID":2}')
    assert [t.writes for t in transports] == [[joined]] * 3
    assert len({id(t.writes[0]) for t in transports}) == 1  # the very same bytes for all


async def test_a_connections_own_payloads_follow_its_rooms_and_come_framed() -> None:
    websockets = service()
    transport = RecordingTransport()
    member = WebSocketConnection(websockets, transport, "127.0.0.1")
    room = websockets.outbox.room()
    room.add(member)
    member.send(b'{"Type":"Ack","ID":1}')
    room.send(b'{"Type":"Chat","ID":1}')
    await asyncio.sleep(0)
    assert transport.writes == [
        text_frame(b'{"Type":"Chat","ID":1}'),
        text_frame(b'{"Type":"Ack","ID":1}'),
    ]


async def test_a_big_rooms_fan_out_takes_turns_and_keeps_every_clients_order() -> None:
    websockets = service()
    transports, members, room = room_of(websockets, 600)
    one, two = (text_frame(b'{"Type":"Chat","ID":%d}' % n) for n in (1, 2))
    ack = text_frame(b'{"Type":"Ack","ID":2}')
    room.send(b'{"Type":"Chat","ID":1}')
    await asyncio.sleep(0)
    assert 0 < sum(1 for t in transports if t.writes) <= 256  # one turn's, the rest after
    room.send(b'{"Type":"Chat","ID":2}')
    members[0].send(b'{"Type":"Ack","ID":2}')
    for _ in range(6):
        await asyncio.sleep(0)
    assert transports[0].writes == [one, two, ack]
    assert all(t.writes == [one, two] for t in transports[1:])


async def test_a_write_outside_the_outbox_comes_after_what_it_took() -> None:
    websockets = service()
    transports, _, room = room_of(websockets, 600)
    room.send(b'{"Type":"Chat","ID":1}')
    await asyncio.sleep(0)  # part of the room has it
    newcomer = RecordingTransport()
    newcomer_member = WebSocketConnection(websockets, newcomer, "127.0.0.1")
    newcomer_member.send(b'{"Type":"Joined"}')
    room.add(newcomer_member)  # its own frame first, and everyone else's Chat before
    one = text_frame(b'{"Type":"Chat","ID":1}')
    assert all(t.writes == [one] for t in transports)
    assert newcomer.writes == [text_frame(b'{"Type":"Joined"}')]


async def test_the_heartbeat_pings_a_slice_of_the_connections_per_call() -> None:
    websockets = service()
    transports = [RecordingTransport() for _ in range(64)]
    for transport in transports:
        connection = WebSocketConnection(websockets, transport, "127.0.0.1")
        connection.last_seen -= websockets.settings.ping_interval  # silent for a whole interval
        websockets.connections[connection.wsid] = connection
    pinged = []
    for _ in range(32):  # one quarter interval's visit, the timer's calls made here
        websockets._beat()
        assert websockets._heartbeat is not None
        websockets._heartbeat.cancel()
        await asyncio.sleep(0)
        pinged.append(sum(1 for t in transports if t.writes))
    assert pinged == list(range(2, 66, 2))  # 64 / 32 each time
