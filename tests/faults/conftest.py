"""Fixtures of the fault tests: a private Redis, a private PostgreSQL cluster, and two roomcast
nodes on them. Each node's log file is reachable through ``node_logs`` for checks of what a node
writes during an outage.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from cluster.conftest import Cluster
from conftest import ServerProcess

from .services import PrivatePostgres, PrivateRedis, missing

WHY_NOT = missing()
if WHY_NOT is not None:
    pytest.skip(WHY_NOT, allow_module_level=True)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    directory = tmp_path / "redis"
    directory.mkdir()
    service = PrivateRedis(directory)
    service.start()
    yield service
    service.kill()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    directory = Path(tempfile.mkdtemp(prefix="roomcast-faults-pg-"))
    os.chmod(directory, 0o755)
    service = PrivatePostgres(directory)
    try:
        service.init()
        service.start()
        yield service
        service.stop_immediate()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def faults_cluster(
    server_factory: Callable[..., ServerProcess],
    private_redis: PrivateRedis,
    private_postgres: PrivatePostgres,
) -> AsyncIterator[Cluster]:
    """Nodes on the private Redis and PostgreSQL (the test starts them with ``node()``)."""
    prefix = f"roomcast-faults:{secrets.token_hex(4)}:"
    cluster = Cluster(server_factory, private_postgres.url, prefix, redis_url=private_redis.url)
    yield cluster
    private_redis.thaw()
    private_postgres.thaw()
    for client in cluster.clients:
        if not client.closed:
            await client.ws.close()


@pytest.fixture
def node_logs() -> Callable[[ServerProcess], Path]:
    """The log file of a node started by the test (what it wrote to stdout and stderr)."""

    def path(node: ServerProcess) -> Path:
        assert node.log_path is not None, "the node was not started"
        return node.log_path

    return path
