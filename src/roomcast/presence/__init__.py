"""Presence: the interface, and how a ``--broker`` URL picks an implementation.

May import ``redis`` (the Redis implementation's client and scripts) and ``record``.
"""

from __future__ import annotations

from roomcast.presence.base import Presence

__all__ = ["Presence", "open_presence"]


def open_presence(
    url: str, *, prefix: str = "roomcast:", ttl: float = 15.0, timeout: float
) -> Presence:
    """Build the presence that goes with the broker named by ``url``.

    With Redis, a node that stops refreshing its entries leaves the user lists ``ttl`` seconds
    (plus one heartbeat, ``ttl / 3``) after its last refresh; ``timeout`` bounds each call.
    """
    if url in ("memory://", "memory", ""):
        from roomcast.presence.memory import MemoryPresence

        return MemoryPresence()
    scheme = url.split("://", 1)[0]
    if scheme in ("redis", "rediss"):
        from roomcast.presence.redis import RedisPresence

        return RedisPresence(url, prefix=prefix, ttl=ttl, timeout=timeout)
    raise ValueError(f"unsupported presence URL scheme {scheme!r}; use memory:// or redis://")
