"""Redis broker: carries room messages between nodes over Redis pub/sub.

Each room is one Redis channel (``roomcast.redis.names``). A node subscribes to the channel of
every room it has members in and publishes each stored message once, so Redis sends one copy per
subscribed node, never one per member. A channel message is ``M<node><id> <payload>`` (a chat
message) or ``P<node>`` (the room's members changed), where ``<node>`` is the 12-character ID of
the sending node. Control events of every room share one more channel, ``<prefix>control``, as
``C<node><room> <payload>``; each node subscribes to it from the start and keeps those of its
rooms. A node delivers its own messages and control events to its own members at once, without
the round trip through Redis, and ignores their echo.

Two connections per node, both from ``roomcast.redis``: a ``Subscriber`` and a ``Publisher``
(which batches, and re-sends after a reconnect what Redis did not confirm: a repeat is harmless,
the hub drops IDs it has delivered).

Health: ``healthy`` is true only while both connections are up and every subscription has been
confirmed; ``state`` is ``ok`` then, ``degraded`` while only one of the two is, ``down`` while
neither is. After the subscribed connection comes back the listener's ``resubscribed()`` runs, so
the hub reads what it missed from the store.
"""

from __future__ import annotations

import logging
from typing import Final

from roomcast.broker.base import BrokerListener, BrokerState
from roomcast.redis.address import RedisAddress
from roomcast.redis.connection import TIMEOUT
from roomcast.redis.names import (
    DEFAULT_PREFIX,
    NODE_ID_LENGTH,
    control_channel,
    new_node_id,
    presence_signal,
    room_channel,
)
from roomcast.redis.publisher import MAX_QUEUED, MAX_QUEUED_BYTES, Publisher, publish_head
from roomcast.redis.subscriber import Subscriber

log = logging.getLogger(__name__)

# How many rooms' encoded PUBLISH heads are kept before the cache starts over.
MAX_HEADS: Final = 10_000


class RedisBroker:
    """A ``Broker`` over Redis pub/sub, for any number of nodes.

    ``timeout`` bounds every call to Redis (``broker_timeout``); at most ``max_queued``
    publications of ``max_queued_bytes`` bytes in all wait for a Redis that is down or hung.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        node: str | None = None,
        timeout: float = TIMEOUT,
        max_queued: int = MAX_QUEUED,
        max_queued_bytes: int = MAX_QUEUED_BYTES,
    ) -> None:
        self._address = RedisAddress.from_url(url)
        self.prefix = prefix
        self.node = (node or new_node_id()).encode()
        if len(self.node) != NODE_ID_LENGTH:
            raise ValueError(f"a node ID has {NODE_ID_LENGTH} characters")
        self._listener: BrokerListener | None = None
        self._rooms: dict[str, bytes] = {}  # room -> channel
        self._channels: dict[bytes, str] = {}  # channel -> room
        self._publish_heads: dict[str, bytes] = {}  # room -> publish_head(its channel)
        self._control_channel = control_channel(prefix).encode()
        self._control_head = publish_head(self._control_channel)
        self._subscriber = Subscriber(
            self._address,
            name=b"roomcast-%s-sub" % self.node,
            on_message=self._on_message,
            on_restored=self._resubscribed,
            timeout=timeout,
        )
        self._publisher = Publisher(
            self._address,
            name=b"roomcast-%s-pub" % self.node,
            timeout=timeout,
            max_queued=max_queued,
            max_bytes=max_queued_bytes,
        )

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, listener: BrokerListener) -> None:
        """Connect both connections (waiting up to a few seconds), then keep them up."""
        self._listener = listener
        self._subscriber.subscribe(self._control_channel)
        self._subscriber.start()
        self._publisher.start()
        if not await self._subscriber.wait_ready(self._subscriber.timeout * 2):
            log.warning("Redis at %s not reachable yet; retrying", self._address.host)

    async def stop(self) -> None:
        """Send what is queued (for up to a second), then disconnect."""
        self._listener = None
        await self._publisher.stop()
        await self._subscriber.stop()
        self._rooms.clear()
        self._channels.clear()

    @property
    def state(self) -> BrokerState:
        up = (self._subscriber.ready, self._publisher.connected)
        if self._listener is None or not any(up):
            return "down"
        return "ok" if all(up) else "degraded"

    @property
    def healthy(self) -> bool:
        return self._listener is not None and self._subscriber.ready and self._publisher.connected

    # -- subscriptions --------------------------------------------------------------------------

    def _channel(self, room: str) -> bytes:
        return room_channel(self.prefix, room).encode()

    def subscribe(self, room: str) -> None:
        if room in self._rooms:
            return
        channel = self._channel(room)
        self._rooms[room] = channel
        self._channels[channel] = room
        self._subscriber.subscribe(channel)

    def unsubscribe(self, room: str) -> None:
        channel = self._rooms.pop(room, None)
        if channel is None:
            return
        del self._channels[channel]
        self._subscriber.unsubscribe(channel)

    def _resubscribed(self) -> None:
        if self._listener is not None:
            self._listener.resubscribed()

    def _on_message(self, channel: bytes, data: bytes) -> None:
        listener = self._listener
        room = self._channels.get(channel)
        if listener is None or data[1 : NODE_ID_LENGTH + 1] == self.node:
            return
        if room is None:
            if channel == self._control_channel:
                self._on_control(listener, data)
            return
        try:
            kind = data[0]
            if kind == 77:  # b"M"
                space = data.index(b" ", NODE_ID_LENGTH + 1)
                listener.deliver(room, int(data[NODE_ID_LENGTH + 1 : space]), data[space + 1 :])
            elif kind == 80:  # b"P"
                listener.presence_changed(room)
        except Exception:  # one bad message must not stop the others on this connection
            log.exception("Redis message on %r not handled", channel)

    def _on_control(self, listener: BrokerListener, data: bytes) -> None:
        try:
            space = data.index(b" ", NODE_ID_LENGTH + 1)
            room = data[NODE_ID_LENGTH + 1 : space].decode()
            if room in self._rooms:
                listener.control(room, data[space + 1 :])
        except Exception:  # one bad event must not stop the others on this connection
            log.exception("Redis control event not handled")

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, room: str, message_id: int, payload: bytes) -> None:
        if self._listener is not None and room in self._rooms:
            self._listener.deliver(room, message_id, payload)
        head = self._publish_heads.get(room) or self._new_head(room)
        self._publisher.publish(head, b"M%s%d %s" % (self.node, message_id, payload))

    def announce(self, room: str) -> None:
        head = self._publish_heads.get(room) or self._new_head(room)
        self._publisher.publish(head, presence_signal(self.node))

    def publish_control(self, room: str, payload: bytes) -> None:
        if self._listener is not None and room in self._rooms:
            self._listener.control(room, payload)
        self._publisher.publish(
            self._control_head, b"C%s%s %s" % (self.node, room.encode(), payload)
        )

    def _new_head(self, room: str) -> bytes:
        """Encode (and keep) the start of a PUBLISH to ``room``'s channel."""
        if len(self._publish_heads) > MAX_HEADS:
            self._publish_heads.clear()
        head = self._publish_heads[room] = publish_head(self._channel(room))
        return head
