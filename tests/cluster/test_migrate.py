"""``roomcast migrate --db URL`` applies the PostgreSQL migrations once and reports the version."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from .conftest import Cluster


def migrate(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomcast", "migrate", "--db", db_url],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_migrate_then_serve(cluster: Cluster) -> None:
    first = await asyncio.to_thread(migrate, cluster.db_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "applied migration 0001 messages",
        "applied migration 0002 access",
        "applied migration 0003 conversations",
        "applied migration 0004 owners",
        "applied migration 0005 people",
        "applied migration 0007 uploads",
        "schema at version 7",
    ]
    again = await asyncio.to_thread(migrate, cluster.db_url)
    assert again.stdout.splitlines() == ["schema at version 7"]
    node = await cluster.node()
    assert "applying PostgreSQL migration" not in node.log()


async def test_migrate_reports_an_unreachable_database() -> None:
    result = await asyncio.to_thread(migrate, "postgresql://postgres@127.0.0.1:1/test")
    assert result.returncode == 1
    assert result.stderr.startswith("roomcast: cannot reach PostgreSQL")
