"""Brokers: the interface, and how a ``--broker`` URL picks an implementation."""

from __future__ import annotations

from roomcast.broker.base import Broker, BrokerListener

__all__ = ["Broker", "BrokerListener", "open_broker"]


def open_broker(url: str) -> Broker:
    """Build the broker a ``--broker`` value names (not yet started)."""
    if url in ("memory://", "memory", ""):
        from roomcast.broker.memory import MemoryBroker

        return MemoryBroker()
    scheme = url.split("://", 1)[0]
    raise ValueError(f"unsupported broker URL scheme {scheme!r}; use memory://")
