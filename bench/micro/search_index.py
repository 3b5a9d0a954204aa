"""What the SQLite search index costs per line: the indexer thread's CPU, and the whole process's
CPU with the index on and off at the same paced rate of lines.

Lines go to a real ``SQLiteStore`` at ``RATE`` lines a second over 100 rooms (as in 100 rooms x
10, where 4,000 lines/s are 40,000 delivered msgs/s) for ``SECONDS``, in batches each event-loop
turn, then the store is given time to index everything. Two texts: the load generator's line
(``RCB...|...|<ns>|xxxx``: 4 words) and a chat-like line of 10 words from a Zipf vocabulary.
Figures: microseconds of CPU per line (process: the event loop, the writer, its checkpoints and,
with the index on, the indexer and its pauses).

With ``--big``: the indexer's CPU per line for batches of 4,000 new lines (40 in each of 100
rooms) taken in beside the 1,000,000 lines of the search benchmark's database (``bench/search.py``
builds it on first use and keeps it), which shows whether a batch costs what it holds or what the
store holds.

With ``--one-room``: one room gets 5,000 lines a second for 8 s; printed each second, how many
of its lines the index has not taken in yet, and at the end how long it took to catch up.

With ``--share``: what a CPU-bound main thread gets of its core while the indexer builds the
index of the search benchmark's database from nothing (a backlog of 1,000,000 lines), and what
the indexer takes.

Run: taskset -c 0 .venv/bin/python bench/micro/search_index.py [--big | --one-room | --share]
"""

from __future__ import annotations

import asyncio
import itertools
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from roomcast.store.base import NewMessage
from roomcast.store.sqlite import SQLiteStore
from roomcast.store.sqlite.search_index import Indexer, index_batch, index_path, open_index

RATE = 4000
SECONDS = 8.0
TURN = 0.01  # seconds between batches: RATE * TURN lines each


def _texts(kind: str) -> itertools.cycle[str]:
    rng = random.Random(5)
    if kind == "loadgen":
        return itertools.cycle(
            f"RCB3|1|{1_780_000_000_000_000_000 + n}|" + "x" * 40 for n in range(10_000)
        )
    words = [
        "".join(rng.choice("bcdfgklmnprst") + rng.choice("aeiou") for _ in range(3))
        for _ in range(5000)
    ]
    weights = list(itertools.accumulate(1 / r for r in range(1, 5001)))
    return itertools.cycle(
        " ".join(rng.choices(words, cum_weights=weights, k=10)) for _ in range(10_000)
    )


async def run(kind: str, index: bool) -> tuple[float, float]:
    """(process CPU per line, indexer CPU per line), in microseconds."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "chat.db", search_index=index)
        await store.open()
        texts = _texts(kind)
        lines = int(RATE * SECONDS)
        done = 0

        def counted(_: object) -> None:
            nonlocal done
            done += 1

        cpu = time.process_time()
        started = time.monotonic()
        sent = 0
        while sent < lines:
            due = int((time.monotonic() - started) * RATE)
            for _ in range(min(due, lines) - sent):
                room = f"room-{sent % 100}"
                store.submit(NewMessage(room, "u1", next(texts), "w", sent), counted)
                sent += 1
            await asyncio.sleep(TURN)
        while done < lines:  # noqa: ASYNC110 - polling a counter the store's callbacks move
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.5)  # the indexer's last batches
        used = time.process_time() - cpu
        indexer = store.searcher.indexer
        indexed = 0.0 if indexer is None else indexer.cpu_seconds
        await store.close()
    return used / lines * 1e6, indexed / lines * 1e6


async def main() -> None:
    for kind in ("loadgen", "chat"):
        for round_ in range(2):
            off, _ = await run(kind, False)
            on, indexer = await run(kind, True)
            print(
                f"{kind:8} round {round_ + 1}: process {off:6.1f} us/line index off,"
                f" {on:6.1f} us/line index on (+{on - off:5.1f});"
                f" indexer thread {indexer:5.1f} us/line",
                flush=True,
            )


async def one_room(rate: int = 5000, seconds: float = 8.0) -> None:
    """How far the index falls behind one busy room, and how long it takes to catch up."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.db"
        store = SQLiteStore(path, search_index=True)
        await store.open()
        texts = _texts("chat")
        watch: sqlite3.Connection | None = None

        def behind(sent: int) -> int:
            nonlocal watch
            if watch is None:
                watch = sqlite3.connect(index_path(path))
            row = watch.execute("SELECT indexed FROM watermarks WHERE room = 'busy'").fetchone()
            return sent - (row[0] if row else 0)

        started = time.monotonic()
        sent = 0
        lags = []
        next_report = 1.0
        while (elapsed := time.monotonic() - started) < seconds:
            for _ in range(int(elapsed * rate) - sent):
                store.submit(NewMessage("busy", "u1", next(texts), "w", sent), lambda _: None)
                sent += 1
            if elapsed >= next_report:
                lags.append(behind(sent))
                next_report += 1.0
            await asyncio.sleep(TURN)
        stopped = time.monotonic()
        while behind(sent) > 0:  # noqa: ASYNC110 - polling the index's watermark
            await asyncio.sleep(0.01)
        caught_up = time.monotonic() - stopped
        if watch is not None:
            watch.close()
        await store.close()
    print(
        f"one room at {rate:,} lines/s: lines not yet indexed, each second:"
        f" {', '.join(f'{n:,}' for n in lags)}; caught up {caught_up:.2f} s after the last"
    )


def _million_lines() -> Path:
    """The search benchmark's database of 1,000,000 lines, with its index (made when missing)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.search import fill_sqlite

    return fill_sqlite()


def share(seconds: float = 4.0) -> None:
    """The core's split between a busy main thread and the indexer behind a long backlog."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "search.db"
        shutil.copy(_million_lines(), path)  # without its index: the indexer starts from nothing
        indexer = Indexer(path, "OFF")
        indexer.start()
        time.sleep(0.5)
        wall, main, process = time.perf_counter(), time.thread_time(), time.process_time()
        end = wall + seconds
        while time.perf_counter() < end:
            sum(range(1000))
        wall = time.perf_counter() - wall
        main = time.thread_time() - main
        others = time.process_time() - process - main
        indexer.stop()
    print(f"main thread {main / wall:.1%} of the core, the indexer {others / wall:.1%}")


def _add_lines(conn: sqlite3.Connection, rooms: list[str], per_room: int, tag: str) -> None:
    conn.execute("BEGIN")
    for room in rooms:
        last = conn.execute("SELECT last_id FROM rooms WHERE name = ?", (room,)).fetchone()[0]
        conn.executemany(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms)"
            " VALUES (?, ?, 'u', ?, 'w', 0)",
            [(room, last + k, f"a new line {tag} {k}") for k in range(1, per_room + 1)],
        )
        conn.execute("UPDATE rooms SET last_id = ? WHERE name = ?", (last + per_room, room))
    conn.execute("COMMIT")


def big(rounds: int = 6, rooms: int = 100, per_room: int = 40) -> None:
    """Batches of new lines taken in beside a million older ones: CPU per line, each batch."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "search.db"
        filled = _million_lines()
        shutil.copy(filled, path)
        shutil.copy(index_path(filled), index_path(path))
        store = sqlite3.connect(path, isolation_level=None)
        names = [
            r for (r,) in store.execute("SELECT name FROM rooms ORDER BY name LIMIT ?", (rooms,))
        ]
        index = open_index(path, "OFF")
        costs = []
        for n in range(rounds):
            _add_lines(store, names, per_room, str(n))
            cpu = time.process_time()
            index_batch(index)
            costs.append((time.process_time() - cpu) / (len(names) * per_room) * 1e6)
        stored = store.execute("SELECT count(*) FROM messages").fetchone()[0]
        print(
            f"{len(names) * per_room} new lines a batch beside {stored:,} stored:"
            f" {', '.join(f'{c:.1f}' for c in costs)} us of CPU per line"
        )
        index.close()
        store.close()


if __name__ == "__main__":
    if "--big" in sys.argv[1:]:
        big()
    elif "--one-room" in sys.argv[1:]:
        asyncio.run(one_room())
    elif "--share" in sys.argv[1:]:
        share()
    else:
        sys.exit(asyncio.run(main()))
