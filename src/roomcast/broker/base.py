"""The Broker interface: carries each stored chat message to every node that has its room.

A node subscribes to a room while it has members there and publishes each message once; every
subscribed node, the publisher included, gets ``(room, id, payload)`` back and fans it out to its
own members. The payload is the encoded ``Chat`` frame, so no node encodes a message twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

DeliveryHandler = Callable[[str, int, bytes], None]


class Broker(Protocol):
    """Room-addressed publish/subscribe between the nodes of one deployment."""

    async def start(self, deliver: DeliveryHandler) -> None:
        """Connect; from now on ``deliver(room, id, payload)`` is called for subscribed rooms."""

    async def stop(self) -> None:
        """Disconnect; ``deliver`` is not called any more."""

    def subscribe(self, room: str) -> None:
        """Receive the messages of ``room`` from now on."""

    def unsubscribe(self, room: str) -> None:
        """Stop receiving the messages of ``room``."""

    def publish(self, room: str, message_id: int, payload: bytes) -> None:
        """Send one message to every subscriber of ``room``, in publication order."""
