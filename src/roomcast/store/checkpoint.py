"""WAL checkpoints for the SQLite store, in a thread of their own.

With SQLite's automatic checkpoint, the commit that pushes the write-ahead log past 1,000 pages
also copies the log back into the database file and syncs it, and every message waiting on that
commit waits for the copy too (5-25 ms per checkpoint under load, against under 1 ms for a plain
commit). The store's writer connection turns the automatic checkpoint off and wakes this thread
after its commits instead: at most once a second, a passive checkpoint from here runs beside the
writer, which goes on committing to the log meanwhile.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Final

log = logging.getLogger(__name__)

# Least time between two checkpoints: a busy log grows by a few MiB meanwhile, as with SQLite's
# own threshold of 1,000 pages, and a quiet one costs one small checkpoint after each commit.
_INTERVAL: Final = 1.0


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection when the writer asks."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="roomcast-sqlite-checkpoint", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def request(self) -> None:
        """Ask for a checkpoint soon; cheap enough to call after every commit."""
        self._due.set()

    def stop(self) -> None:
        """Finish the checkpoint in progress, if any, and end the thread."""
        self._stopping.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                self._due.wait()
                if self._stopping.is_set():
                    return
                self._due.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("SQLite checkpoint failed: %s", exc)
                if self._stopping.wait(_INTERVAL):
                    return
        finally:
            conn.close()
