"""In-process broker: one node, delivery by a direct call, no copies."""

from __future__ import annotations

from roomcast.broker.base import DeliveryHandler


class MemoryBroker:
    """A ``Broker`` for a single process: publishing delivers at once, in order."""

    def __init__(self) -> None:
        self._deliver: DeliveryHandler | None = None
        self._rooms: set[str] = set()

    async def start(self, deliver: DeliveryHandler) -> None:
        self._deliver = deliver

    async def stop(self) -> None:
        self._deliver = None
        self._rooms.clear()

    def subscribe(self, room: str) -> None:
        self._rooms.add(room)

    def unsubscribe(self, room: str) -> None:
        self._rooms.discard(room)

    def publish(self, room: str, message_id: int, payload: bytes) -> None:
        if self._deliver is not None and room in self._rooms:
            self._deliver(room, message_id, payload)
