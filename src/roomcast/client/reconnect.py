"""When the client reconnects after a drop, and how long it waits before each attempt.

Imports only ``roomcast.wire.protocol`` (for the close codes).
"""

from __future__ import annotations

import random
from typing import Final

from roomcast.wire import protocol

# Close codes after which reconnecting would not help (the request itself is refused, or another
# connection took over this session).
FINAL_CLOSE_CODES: Final = frozenset(
    {
        protocol.CLOSE_PROTOCOL_ERROR,
        protocol.CLOSE_UNSUPPORTED_DATA,
        protocol.CLOSE_INVALID_DATA,
        protocol.CLOSE_POLICY_VIOLATION,
        protocol.CLOSE_MESSAGE_TOO_BIG,
        protocol.CLOSE_SESSION_REPLACED,
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
