"""Origin checks and connection counting."""

from __future__ import annotations

import pytest

from roomcast.transport.admission import ConnectionLimits, origin_allowed, parse_origins


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        (None, "chat.example:8000", "", True),  # not a browser
        ("http://chat.example:8000", "chat.example:8000", "", True),  # same origin
        ("https://CHAT.example:8000/", "chat.example:8000", "", True),
        ("http://evil.example", "chat.example:8000", "", False),
        ("http://chat.example:9000", "chat.example:8000", "", False),  # other port
        ("null", "chat.example:8000", "", False),  # file:// and sandboxed pages
        ("null", "chat.example:8000", "null", True),
        ("http://app.example", "chat.example", "http://app.example, https://x.example", True),
        ("http://evil.example", "chat.example", "*", True),
        ("http://evil.example", None, "", False),
    ],
)
def test_origin_allowed(origin: str | None, host: str | None, allowed: str, ok: bool) -> None:
    assert origin_allowed(origin, host, parse_origins(allowed)) is ok


def test_connection_limits() -> None:
    limits = ConnectionLimits(max_total=3, max_per_address=2)
    assert limits.admit("a") is None
    assert limits.admit("a") is None
    assert limits.admit("a") == "at most 2 connections per address"
    assert limits.admit("b") is None
    assert limits.admit("c") == "the server holds its maximum of 3 connections"
    limits.release("a")
    assert limits.admit("c") is None
    assert limits.total == 3
