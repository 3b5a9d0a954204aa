"""SQLite connections as the store opens them: WAL mode, its durability level, a busy timeout;
and the writer's, which also brings the schema up to date and moves what a crash left journaled.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Literal

from roomcast.store.sqlite.journal import move_journal
from roomcast.store.sqlite.schema import migrate

log = logging.getLogger(__name__)

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


def connect(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    """A connection in autocommit mode, usable from any thread (one at a time)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def open_writer(path: Path, synchronous: Synchronous) -> sqlite3.Connection:
    """The writer's connection, on a database at the newest schema with an empty journal."""
    conn = connect(path, synchronous)
    migrate(conn)
    # Checkpoints run in their own thread (checkpoint.py), so no commit waits for one; a log
    # that a burst made long is cut back to 32 MiB once it starts again.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute(f"PRAGMA journal_size_limit={32 << 20}")
    # A move of the journal (writer.MOVE_ROWS) touches a few pages per room plus the journal's
    # own, more than SQLite's default cache of 2 MiB keeps: in 100 rooms x 10 the writer read
    # 57 pages back per 1,000 lines with it, 7 with 16 MiB (strace -f -e pread64 of
    # bench/micro/line_cost.py 10 and 30 sqlite). The cache grows only as pages are used.
    conn.execute(f"PRAGMA cache_size=-{16 << 10}")
    moved = move_journal(conn)
    if moved:
        log.info("moved %d journaled messages into the messages table", moved)
    return conn
