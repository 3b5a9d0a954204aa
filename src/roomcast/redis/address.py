"""Where a Redis server is and how to log in, read from a ``redis://`` or ``rediss://`` URL."""

from __future__ import annotations

import urllib.parse

from roomcast.record import record


@record
class RedisAddress:
    """A Redis server's host and port, credentials, TLS and database number."""

    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    db: int = 0

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"not a Redis URL: {url!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            username=urllib.parse.unquote(parts.username) if parts.username else None,
            password=urllib.parse.unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "rediss",
            db=int(parts.path.strip("/") or 0),
        )
