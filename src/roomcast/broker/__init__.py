"""Brokers: the interface, and how a ``--broker`` URL picks an implementation.

May import ``redis`` (the Redis implementation's client) and ``record``; nothing of the chat
domain, which reaches it through ``Broker`` and ``BrokerListener``.
"""

from __future__ import annotations

from roomcast.broker.base import Broker, BrokerListener

__all__ = ["Broker", "BrokerListener", "open_broker"]


def open_broker(
    url: str,
    *,
    prefix: str = "roomcast:",
    timeout: float,
    queue_bytes: int,
) -> Broker:
    """Build the broker a ``--broker`` value names (not yet started).

    ``redis://[user:password@]host[:port][/db]`` (or ``rediss://`` for TLS) joins the nodes that
    use the same Redis and ``prefix``; ``timeout`` bounds each call to Redis, ``queue_bytes`` the
    publications waiting for it.
    """
    if url in ("memory://", "memory", ""):
        from roomcast.broker.memory import MemoryBroker

        return MemoryBroker()
    scheme = url.split("://", 1)[0]
    if scheme in ("redis", "rediss"):
        from roomcast.broker.redis import RedisBroker

        return RedisBroker(url, prefix=prefix, timeout=timeout, max_queued_bytes=queue_bytes)
    raise ValueError(f"unsupported broker URL scheme {scheme!r}; use memory:// or redis://")
