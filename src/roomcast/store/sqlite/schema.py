"""The SQLite schemas: applies the migrations a database lacks, from ``store/migrations/<set>``
(``sqlite`` for the store's database, ``sqlite_files`` and ``sqlite_search`` for the files and
the search index beside it).

The version a database is at is its ``PRAGMA user_version``; each migration runs in its own
transaction together with the version it brings the database to.
"""

from __future__ import annotations

import logging
import sqlite3

from roomcast.store.migrations import migrations

log = logging.getLogger(__name__)


def migrate(conn: sqlite3.Connection, schema: str = "sqlite") -> None:
    """Bring the database of ``conn`` up to the newest ``schema`` this roomcast knows."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for migration in migrations(schema):
        if migration.version > version:
            log.info("applying %s migration %04d %s", schema, migration.version, migration.name)
            conn.executescript(
                f"BEGIN; {migration.sql}; PRAGMA user_version={migration.version}; COMMIT;"
            )
