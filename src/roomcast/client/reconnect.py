"""When the client reconnects after a drop, and how long it waits before each attempt.

Imports only ``roomcast.wire`` (for the close codes and the restart retry hint).
"""

from __future__ import annotations

import random
from typing import Final

from roomcast.wire import protocol
from roomcast.wire.restart_hint import retry_after

# Close codes after which reconnecting would not help (the request itself is refused, another
# connection took over this session, or the session or token was signed out: trying again would
# be refused too, or come back as someone else, a guest).
FINAL_CLOSE_CODES: Final = frozenset(
    {
        protocol.CLOSE_PROTOCOL_ERROR,
        protocol.CLOSE_UNSUPPORTED_DATA,
        protocol.CLOSE_INVALID_DATA,
        protocol.CLOSE_POLICY_VIOLATION,
        protocol.CLOSE_MESSAGE_TOO_BIG,
        protocol.CLOSE_SESSION_REPLACED,
        protocol.CLOSE_SIGNED_OUT,
    }
)


def worth_reconnecting(close_code: int | None) -> bool:
    """Whether a connection closed with ``close_code`` (None: dropped without a close frame)
    may succeed when tried again."""
    return close_code not in FINAL_CLOSE_CODES


def backoff_delay(attempt: int, first: float, longest: float) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0 for the first): ``first`` doubled
    per earlier attempt up to ``longest``, then a random half of it dropped (jitter), so clients
    that lost one server do not all come back at the same instant."""
    return min(longest, first * 2.0**attempt) * random.uniform(0.5, 1.0)


def restart_delay(close_code: int | None, reason: str) -> float | None:
    """Seconds to wait before the first reconnect after a 1012 (Service Restart) close whose
    reason carries a retry hint, or None (use ``backoff_delay``). The server already spread
    its hints per connection; a random tenth is added so that clients told the same instant
    still part."""
    if close_code != protocol.CLOSE_SERVICE_RESTART:
        return None
    hint = retry_after(reason)
    return None if hint is None else hint + random.uniform(0.0, 0.1) * max(hint, 0.1)
