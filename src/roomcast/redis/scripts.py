"""Lua scripts: read from the ``.lua`` files shipped in ``roomcast/redis/lua/``, run by SHA.

``RedisClient.run`` sends a script's SHA with ``EVALSHA`` and, when Redis does not know it (first
use, or after a restart or ``SCRIPT FLUSH``), the whole source once with ``EVAL``, which also
caches it in Redis again.
"""

from __future__ import annotations

import hashlib
from importlib import resources


class Script:
    """A Lua script's source and its SHA1, the name ``EVALSHA`` knows it by."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source.encode()
        self.sha = hashlib.sha1(self.source).hexdigest().encode()

    @classmethod
    def from_files(cls, *names: str) -> Script:
        """The script made of ``lua/<name>.lua`` for each name, joined in the order given (so a
        prelude of shared definitions comes first)."""
        folder = resources.files("roomcast.redis").joinpath("lua")
        return cls("".join(folder.joinpath(f"{name}.lua").read_text("utf-8") for name in names))
