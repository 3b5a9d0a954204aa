"""The Broker interface: carries each stored chat message to every node that has its room.

A node subscribes to a room while it has members there and publishes each message once; every
subscribed node, the publisher included, gets ``(room, id, payload)`` back and fans it out to its
own members. The payload is the encoded ``Chat`` frame, so no node encodes a message twice.
Brokers also carry a "presence changed" signal per room, so every node refreshes its user lists,
and, on a control channel of their own, control events about a room (moderation's), which reach
every node subscribed to the room in the order they were published.
"""

from __future__ import annotations

from typing import Literal, Protocol

# What readiness reports of a broker: ``none`` when the node needs none (one process), ``ok``,
# ``degraded`` (one of its connections is down) or ``down`` (it reaches no other node).
BrokerState = Literal["ok", "degraded", "down", "none"]


class BrokerListener(Protocol):
    """What a broker calls back into (the hub)."""

    def deliver(self, room: str, message_id: int, payload: bytes) -> None:
        """A stored message of a subscribed room; IDs may arrive out of order across nodes."""

    def presence_changed(self, room: str) -> None:
        """Some node changed who is in ``room`` or what they are called."""

    def control(self, room: str, payload: bytes) -> None:
        """A control event about a subscribed room, from any node (the publisher included)."""

    def resubscribed(self) -> None:
        """The broker lost its subscriptions and has them back: messages may have been missed."""


class Broker(Protocol):
    """Room-addressed publish/subscribe between the nodes of one deployment."""

    async def start(self, listener: BrokerListener) -> None:
        """Connect; from now on the listener hears about subscribed rooms."""

    async def stop(self) -> None:
        """Disconnect; the listener is not called any more."""

    @property
    def state(self) -> BrokerState:
        """What readiness reports of this broker."""

    @property
    def healthy(self) -> bool:
        """True while the broker is connected and its subscriptions are live."""

    def subscribe(self, room: str) -> None:
        """Receive the messages of ``room`` from now on."""

    def unsubscribe(self, room: str) -> None:
        """Stop receiving the messages of ``room``."""

    def publish(self, room: str, message_id: int, payload: bytes) -> None:
        """Send one message to every subscriber of ``room``."""

    def announce(self, room: str) -> None:
        """Tell the other nodes that the membership of ``room`` changed."""

    def publish_control(self, room: str, payload: bytes) -> None:
        """Send a control event about ``room`` to every node subscribed to it, this one too."""
