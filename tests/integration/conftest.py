"""Fixtures of the integration suite: one shared server per module, and per-test unique names.

Most behaviours are checked on a server shared by the tests of a module (each test uses its own
rooms and nicknames, from ``names``); tests that need particular flags, restarts or signals start
their own with ``server_factory``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import ServerProcess

from .support import Names


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server shared by the tests of one module (SQLite store, in-process broker)."""
    server = ServerProcess(tmp_path_factory.mktemp("live"), ["--userlist-interval", "0.02"])
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture
def names() -> Names:
    return Names()
