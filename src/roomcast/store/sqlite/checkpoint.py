"""WAL checkpoints for the SQLite store, mostly in a thread of their own.

With SQLite's automatic checkpoint, the commit that pushes the write-ahead log past 1,000 pages
also copies the log back into the database file and syncs it, and every message waiting on that
commit waits for the copy too (5-25 ms per checkpoint under load, against under 1 ms for a plain
commit). The store's writer connection turns the automatic checkpoint off instead, and
checkpoints come in two steps:

1. At most four times a second while there are commits, this thread runs a passive checkpoint on its
   own connection. It copies the bulk of the log beside the writer, which goes on committing.
   When no commit came while it ran, every frame is copied and the next commit starts the log
   afresh.
2. Otherwise the log can only start again from its beginning once every frame in it has been
   copied, and the writer keeps adding frames during step 1. So once the log has grown past
   ``FINISH_FRAMES``, after its next commit the writer finishes the job on its own connection: a
   passive checkpoint of the few frames written meanwhile, with no writer beside it, after which
   the next commit starts the log afresh. Without this step the log grows for as long as
   messages keep coming back to back. It is not taken on a shorter log, as it once was after
   every step 1: the commits queued behind it wait for its two syncs of the disk (2-13 ms on a
   quiet disk, hundreds under other writers; bench/micro/stalls.py at 20 lines/s).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Final

log = logging.getLogger(__name__)

# Least time between two checkpoints. A commit writes every page it changed to the log, so with
# 100 busy rooms the log grows by up to 40 MiB a second; a quiet store costs one small
# checkpoint after a commit.
_INTERVAL: Final = 0.25
# A log this long (in pages) gets the writer's finishing step: SQLite's automatic checkpoint
# starts at the same length.
FINISH_FRAMES: Final = 1000


class Checkpointer:
    """Keeps the write-ahead log short without making commits wait for the copying."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._due = threading.Event()
        self._finish = threading.Event()  # the log is long: the writer's step 2 is due
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="roomcast-sqlite-checkpoint", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def after_commit(self, writer: sqlite3.Connection) -> None:
        """The writer's part, after each commit (and after its messages were handed back)."""
        if self._finish.is_set():
            self._finish.clear()
            _checkpoint(writer)
        self._due.set()

    def stop(self) -> None:
        """Finish the checkpoint in progress, if any, and end the thread."""
        self._stopping.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            log.error("SQLite checkpoints cannot run, the log will grow: %s", exc)
            return
        try:
            while True:
                self._due.wait()
                if self._stopping.is_set():
                    return
                self._due.clear()
                if _checkpoint(conn) >= FINISH_FRAMES:
                    self._finish.set()
                if self._stopping.wait(_INTERVAL):
                    return
        finally:
            conn.close()


def _checkpoint(conn: sqlite3.Connection) -> int:
    """A passive checkpoint; the log's length in pages (0 when the checkpoint failed)."""
    try:
        _, pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error as exc:
        log.warning("SQLite checkpoint failed: %s", exc)
        return 0
    return int(pages)
