"""Presence: the interface, and how a ``--broker`` URL picks an implementation."""

from __future__ import annotations

from roomcast.presence.base import Presence

__all__ = ["Presence", "open_presence"]


def open_presence(url: str) -> Presence:
    """Build the presence that goes with the broker named by ``url``."""
    if url in ("memory://", "memory", ""):
        from roomcast.presence.memory import MemoryPresence

        return MemoryPresence()
    scheme = url.split("://", 1)[0]
    raise ValueError(f"unsupported presence URL scheme {scheme!r}; use memory://")
