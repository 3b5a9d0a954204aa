"""In-process broker: one node, delivery by a direct call, no copies."""

from __future__ import annotations

from roomcast.broker.base import BrokerListener, BrokerState


class MemoryBroker:
    """A ``Broker`` for a single process: publishing delivers at once, in order."""

    def __init__(self) -> None:
        self._listener: BrokerListener | None = None
        self._rooms: set[str] = set()

    async def start(self, listener: BrokerListener) -> None:
        self._listener = listener

    async def stop(self) -> None:
        self._listener = None
        self._rooms.clear()

    @property
    def state(self) -> BrokerState:
        return "none" if self._listener is not None else "down"

    @property
    def healthy(self) -> bool:
        return self._listener is not None

    def subscribe(self, room: str) -> None:
        self._rooms.add(room)

    def unsubscribe(self, room: str) -> None:
        self._rooms.discard(room)

    def publish(self, room: str, message_id: int, payload: bytes) -> None:
        if self._listener is not None and room in self._rooms:
            self._listener.deliver(room, message_id, payload)

    def publish_control(self, room: str, payload: bytes) -> None:
        if self._listener is not None and room in self._rooms:
            self._listener.control(room, payload)

    def announce(self, room: str) -> None:
        """Nothing to do: the only node already knows."""
