"""The names a roomcast deployment uses in Redis, shared by the broker and the presence.

Every key and channel starts with a prefix (``roomcast:`` unless configured), so deployments can
share one Redis. Each node has a random 12-character ID. Each room is one channel,
``<prefix>r:<room>``; besides chat messages it carries the presence signal ``P<node>`` ("the
members of this room changed"), sent by the broker and by the presence's Lua scripts alike.
Control events of every room share one more channel, ``<prefix>control``.
"""

from __future__ import annotations

import secrets
from typing import Final

DEFAULT_PREFIX: Final = "roomcast:"
NODE_ID_LENGTH: Final = 12
# Tags a presence signal that comes from no node (Redis itself, reaping a dead node's members).
NO_NODE: Final = b"-" * NODE_ID_LENGTH


def new_node_id() -> str:
    """A random node ID of ``NODE_ID_LENGTH`` characters."""
    return secrets.token_hex(NODE_ID_LENGTH // 2)


def room_channel(prefix: str, room: str) -> str:
    """The Redis channel that carries ``room``'s messages and presence signals."""
    return f"{prefix}r:{room}"


def control_channel(prefix: str) -> str:
    """The Redis channel that carries the control events of every room."""
    return f"{prefix}control"


def presence_signal(node: bytes) -> bytes:
    """The channel payload that says "the members of this room changed" (sent by ``node``)."""
    return b"P" + node
