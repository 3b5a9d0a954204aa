"""What an SQLite commit costs per row, by rows per commit and by rooms the rows fall in.

The store's ``messages`` table is keyed by (room, id), so every room a commit touches dirties at
least one B-tree page, and each dirty page is written to the WAL at commit. This measures the
writer thread's CPU per row for the store's own schema and statements, so the effect of gathering
more rows per commit (group commit) can be read off directly. The write connection does no
checkpoints (the store runs them in a thread of its own), so they are not counted here.

Run: .venv/bin/python bench/micro/sqlite_rooms.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from roomcast.store.sqlite import SQLiteStore, _insert_many

ROWS = 60_000


def cpu_per_row(folder: Path, rooms: int, per_commit: int) -> float:
    # the store's own write connection: WAL, synchronous=NORMAL, every migration applied
    conn = SQLiteStore(folder / f"r{rooms}-b{per_commit}.db")._open_writer()
    last: dict[str, int] = {}
    start = time.thread_time()
    for first in range(0, ROWS, per_commit):
        rows = []
        for n in range(first, first + per_commit):
            room = f"room-{n % rooms}"
            last[room] = last.get(room, 0) + 1
            rows.append((room, last[room], "nick", "a chat line", "w1", 0, "s", None))
        conn.execute("BEGIN IMMEDIATE")
        _insert_many(conn, "INSERT INTO messages VALUES", rows)
        conn.execute("COMMIT")
    elapsed = time.thread_time() - start
    conn.close()
    return elapsed / ROWS * 1e6


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print("rows/commit  rooms  CPU us/row  CPU us/commit")
    for rooms, per_commit in ((1, 20), (20, 20), (100, 20), (100, 100), (100, 400), (100, 1000)):
        us = cpu_per_row(folder, rooms, per_commit)
        print(f"{per_commit:11d}  {rooms:5d}  {us:10.2f}  {us * per_commit:13.0f}")


if __name__ == "__main__":
    main()
