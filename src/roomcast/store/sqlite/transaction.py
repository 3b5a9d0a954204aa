"""A write transaction on a connection in autocommit mode: taken at once, committed at the end,
rolled back on any error."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (the write lock first, so no statement inside waits for it) and
    ``COMMIT``; on any error, ``ROLLBACK`` if SQLite has not rolled back already, then the
    error goes on."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
