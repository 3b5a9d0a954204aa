"""Server settings for the micro benchmarks: no rate limits and no history on join.

The micro benchmarks send as fast as they can from a few connections, so every limit that would
answer them with ``rate_limited`` is off, as in the benchmark's servers (bench/servers.py).
"""

from __future__ import annotations

from typing import Any

from roomcast.ops.config import Settings


def unlimited_settings(**overrides: Any) -> Settings:
    """``Settings`` with every rate limit off and no history on join, then ``overrides``."""
    unlimited = "0/1"
    return Settings(
        **{
            "rate_messages": unlimited,
            "rate_messages_per_ip": unlimited,
            "rate_joins": unlimited,
            "rate_nicks": unlimited,
            "history_on_join": 0,
            **overrides,
        }
    )
