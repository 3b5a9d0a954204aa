"""The retry hint a restarting server puts in its 1012 close reason, and how a client reads it.

A graceful stop closes each connection with 1012 (Service Restart) and the reason
``{"retry_after_ms":N}``, N drawn at random per connection from 0 to the ``restart_spread``
setting, so the clients of a restarted node come back spread out instead of all at once.
"""

from __future__ import annotations

import json
import random

# The most a client waits on a hint, whatever the reason says (one minute).
MAX_RETRY_AFTER_MS = 60_000


def restart_reason(spread_ms: int) -> str:
    """The close reason for one connection: a retry delay drawn from 0 to ``spread_ms``."""
    return json.dumps(
        {"retry_after_ms": random.randint(0, max(0, spread_ms))}, separators=(",", ":")
    )


def retry_after(reason: str) -> float | None:
    """Seconds the close ``reason`` asks the client to wait before reconnecting (capped at a
    minute), or None when the reason carries no valid hint."""
    try:
        hint = json.loads(reason)
    except ValueError:
        return None
    value = hint.get("retry_after_ms") if isinstance(hint, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER_MS) / 1000.0
