"""Who may open a WebSocket: the Origin allow-list and the connection limits, without I/O.

Browsers send an ``Origin`` header on every WebSocket upgrade and let any page open a socket to
any server, so a server that trusts cookies must check it (cross-site WebSocket hijacking). The
server's own origin is always allowed; others only when listed in ``allowed_origins``. Clients
that send no ``Origin`` (bots, command-line tools) are not browsers and are allowed.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit


def parse_origins(setting: str) -> frozenset[str]:
    """The comma-separated ``allowed_origins`` setting as normalised origins (``*`` for any)."""
    origins = set()
    for item in setting.split(","):
        item = item.strip().rstrip("/").lower()
        if item:
            origins.add(item)
    return frozenset(origins)


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """Whether an upgrade with this ``Origin`` to this ``Host`` may proceed."""
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if "*" in allowed or origin in allowed:
        return True
    if origin == "null" or host is None:
        return False
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return netloc == host.strip().lower()


class ConnectionLimits:
    """Counts open connections, in total and per client address."""

    def __init__(self, max_total: int, max_per_address: int) -> None:
        self.max_total = max_total
        self.max_per_address = max_per_address
        self._by_address: Counter[str] = Counter()
        self.total = 0

    def admit(self, address: str) -> str | None:
        """Count a new connection, or say why it is refused."""
        if self.total >= self.max_total:
            return f"the server holds its maximum of {self.max_total} connections"
        if self._by_address[address] >= self.max_per_address:
            return f"at most {self.max_per_address} connections per address"
        self.total += 1
        self._by_address[address] += 1
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]
