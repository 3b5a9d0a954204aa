"""The search scenario: 1,000,000 stored lines over 1,000 rooms, searched while the server chats.

``python -m bench --only roomcast/search`` (SQLite), ``--only roomcast-redis1/search``
(PostgreSQL), ``--only '*/search'`` (both). The history is written straight into the store's
tables (not through WebSocket), from a Zipf vocabulary of made-up words, and kept between runs:
the SQLite database with its index built under ``bench/results/search-fill/``, the PostgreSQL
schema ``bench_search``. Then a server is started on it, ``CHATTERS`` WebSocket clients each send
a line every ``CHAT_INTERVAL`` seconds to a room of their own, and a mix of queries (common,
mid-frequency and rare words, phrases, prefixes, exclusions, one room's lines) goes through
``GET /api/search``, one at a time; each is timed from request to complete answer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import aiohttp
import asyncpg

from bench import install
from bench.servers import free_port

LINES: Final = 1_000_000
ROOMS: Final = 1_000
VOCABULARY: Final = 20_000
SEED: Final = 17
CHATTERS: Final = 20
CHAT_INTERVAL: Final = 0.05  # 20 clients x 20 lines/s: 400 lines/s while searching
QUERIES_PER_KIND: Final = 30
FILL_DIR: Final = install.ROOT / "bench" / "results" / "search-fill"
POSTGRES: Final = os.environ.get("ROOMCAST_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1/test")
PG_SCHEMA: Final = "bench_search"
T0: Final = 1_780_000_000_000  # ms: the first line's time; one line a second after it


def _vocabulary() -> list[str]:
    """Made-up words, the first the most frequent (rank 1 = index 0)."""
    rng = random.Random(SEED)
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        words["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))] = None
    return list(words)


def _lines() -> Iterator[tuple[str, int, str, int]]:
    """(room, id, text, sent_ms) of every line, in time order; Zipf (s = 1) word frequencies."""
    rng = random.Random(SEED)
    words = _vocabulary()
    weights = list(itertools.accumulate(1 / rank for rank in range(1, VOCABULARY + 1)))
    next_id = [0] * ROOMS
    for n in range(LINES):
        room = min(int(rng.paretovariate(1.2)) - 1, ROOMS - 1) if n % 2 else rng.randrange(ROOMS)
        next_id[room] += 1
        text = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(3, 15)))
        yield f"room{room:04d}", next_id[room], text, T0 + n * 1000


def fill_sqlite() -> Path:
    """The cached SQLite database with its search index built; made when missing."""
    path = FILL_DIR / "search.db"
    if (FILL_DIR / "complete").exists():
        return path
    shutil.rmtree(FILL_DIR, ignore_errors=True)
    FILL_DIR.mkdir(parents=True)
    from roomcast.store.sqlite.connection import open_writer
    from roomcast.store.sqlite.search_index import index_batch, open_index

    started = time.monotonic()
    conn = open_writer(path, "OFF")
    conn.execute("BEGIN")
    batch: list[tuple[str, int, str, int]] = []
    last: dict[str, int] = {}
    for row in _lines():
        batch.append(row)
        last[row[0]] = row[1]
        if len(batch) == 50_000:
            _insert_sqlite(conn, batch)
            batch = []
    _insert_sqlite(conn, batch)
    conn.executemany(
        "INSERT INTO rooms (name, last_id, created_ms) VALUES (?, ?, ?)",
        [(room, last_id, T0) for room, last_id in last.items()],
    )
    conn.execute("COMMIT")
    conn.close()
    filled = time.monotonic() - started
    index = open_index(path, "OFF")
    cpu = time.process_time()
    while index_batch(index).rooms:
        pass
    index.close()
    built = {"fill_s": round(filled, 1), "index_cpu_s": round(time.process_time() - cpu, 1)}
    (FILL_DIR / "complete").write_text(json.dumps(built))
    print(f"bench: SQLite fill {built}", flush=True)
    return path


def _insert_sqlite(conn: sqlite3.Connection, rows: list[tuple[str, int, str, int]]) -> None:
    conn.executemany(
        "INSERT INTO messages (room, id, author, body, wsid, sent_ms) VALUES (?, ?, ?, ?, 'w', ?)",
        [(room, i, f"user{i % 50}", text, sent) for room, i, text, sent in rows],
    )


async def fill_postgres() -> str:
    """The URL of the cached PostgreSQL schema; filled when missing."""
    url = f"{POSTGRES}?search_path={PG_SCHEMA}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        done = await admin.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'bench_done'",
            PG_SCHEMA,
        )
    finally:
        await admin.close()
    if done:
        return url
    from roomcast.store.postgres import PostgresStore
    from roomcast.store.search import indexed_text

    store = PostgresStore(url)
    await store.open()  # the schema, by the migrations
    await store.close()
    started = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP INDEX messages_words")
        await conn.execute(
            "CREATE UNLOGGED TABLE staging (room text, id bigint, author text, body text,"
            " sent_ms bigint, folded text)"
        )
        rows = (
            (room, i, f"user{i % 50}", text, sent, indexed_text(text))
            for room, i, text, sent in _lines()
        )
        while chunk := list(itertools.islice(rows, 100_000)):
            await conn.copy_records_to_table("staging", records=chunk)
        await conn.execute(
            "INSERT INTO messages (room, id, author, body, wsid, sent_ms, words)"
            " SELECT room, id, author, body, 'w', sent_ms, to_tsvector('simple', folded)"
            " FROM staging ORDER BY sent_ms"
        )
        await conn.execute(
            "INSERT INTO rooms (name, last_id, created_ms)"
            " SELECT room, max(id), min(sent_ms) FROM staging GROUP BY room"
        )
        await conn.execute("DROP TABLE staging")
        await conn.execute("CREATE INDEX messages_words ON messages USING gin (words)")
        await conn.execute("VACUUM ANALYZE messages")
        await conn.execute("CREATE TABLE bench_done (filled_s float)")
        await conn.execute("INSERT INTO bench_done VALUES ($1)", time.monotonic() - started)
    finally:
        await conn.close()
    print(f"bench: PostgreSQL fill {time.monotonic() - started:.0f} s", flush=True)
    return url


def queries() -> list[tuple[str, dict[str, str]]]:
    """(kind, query parameters) of every search, shuffled, the same every run."""
    rng = random.Random(SEED + 1)
    words = _vocabulary()
    sample = [text for _, _, text, _ in itertools.islice(_lines(), 0, LINES, LINES // 200)]
    kinds: dict[str, list[dict[str, str]]] = {
        "common word": [{"q": rng.choice(words[:10])} for _ in range(QUERIES_PER_KIND)],
        "mid word": [{"q": rng.choice(words[100:1000])} for _ in range(QUERIES_PER_KIND)],
        "rare word": [{"q": rng.choice(words[10_000:])} for _ in range(QUERIES_PER_KIND)],
        "two words": [
            {"q": f"{rng.choice(words[:50])} {rng.choice(words[50:2000])}"}
            for _ in range(QUERIES_PER_KIND)
        ],
        "phrase": [
            {"q": '"' + " ".join(text.split()[:2]) + '"'}
            for text in rng.sample(sample, QUERIES_PER_KIND)
        ],
        "prefix": [
            {"q": rng.choice([w for w in words[20:3000] if len(w) >= 4])[:3] + "*"}
            for _ in range(QUERIES_PER_KIND)
        ],
        "exclusion": [
            {"q": f"{rng.choice(words[:10])} -{rng.choice(words[10:20])}"}
            for _ in range(QUERIES_PER_KIND)
        ],
        "one room, common word": [
            {"q": rng.choice(words[:10]), "room": f"room{rng.randrange(ROOMS):04d}"}
            for _ in range(QUERIES_PER_KIND)
        ],
    }
    mix = [(kind, params) for kind, many in kinds.items() for params in many]
    rng.shuffle(mix)
    return mix


@contextlib.contextmanager
def server(db: str, workdir: Path) -> Iterator[str]:
    """A roomcast server on ``db``; its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "roomcast", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(workdir), "--log-level", "WARNING", "--db", db,
        "--history-on-join", "0", "--rate-messages", "0/1", "--rate-searches", "0/1",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(install.ROOT / "src")}
    proc = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2),
            ):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the search benchmark's server did not start")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _chat(address: str, stop: asyncio.Event, sent: list[int]) -> None:
    """One chatting client: a line every CHAT_INTERVAL to a room of its own."""
    async with aiohttp.ClientSession() as session:
        room = f"chat{random.randrange(10**6):06d}"
        async with session.ws_connect(f"ws://{address}/ws?room={room}") as ws:
            n = 0
            while not stop.is_set():
                text = base64.b64encode(f"chatting away line {n} zest".encode()).decode()
                await ws.send_str(json.dumps({"Message": text, "Room": room}))
                n += 1
                sent[0] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), CHAT_INTERVAL)


async def measure(address: str) -> dict[str, Any]:
    """Every query of ``queries`` once while the chatters chat: latencies per kind, in ms."""
    stop = asyncio.Event()
    sent = [0]
    chatters = [asyncio.create_task(_chat(address, stop, sent)) for _ in range(CHATTERS)]
    timings: dict[str, list[float]] = {}
    found: dict[str, list[int]] = {}
    started = time.monotonic()
    try:
        await asyncio.sleep(1.0)
        async with aiohttp.ClientSession() as session:
            for kind, params in queries():
                url = f"http://{address}/api/search?{urllib.parse.urlencode(params)}"
                begun = time.perf_counter()
                async with session.get(url) as response:
                    body = await response.json()
                    assert response.status == 200, body
                timings.setdefault(kind, []).append((time.perf_counter() - begun) * 1000)
                found.setdefault(kind, []).append(len(body["results"]))
    finally:
        stop.set()
        await asyncio.gather(*chatters, return_exceptions=True)
    elapsed = time.monotonic() - started
    everything = [t for many in timings.values() for t in many]
    return {
        "lines_sent_per_s": round(sent[0] / elapsed),
        "all": _percentiles(everything),
        "kinds": {
            kind: {**_percentiles(many), "mean_results": statistics.mean(found[kind])}
            for kind, many in timings.items()
        },
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def run(stores: list[str]) -> int:
    """The scenario on each of ``stores`` ("sqlite", "postgres"); prints and saves the figures."""
    results: dict[str, Any] = {}
    for store in stores:
        with tempfile.TemporaryDirectory(prefix=f"bench-search-{store}-") as tmp:
            workdir = Path(tmp)
            if store == "sqlite":
                source = fill_sqlite()
                for path in FILL_DIR.glob("search.db*"):
                    shutil.copy(path, workdir / path.name)
                db = str(workdir / source.name)
            else:
                db = asyncio.run(fill_postgres())
            with server(db, workdir) as address:
                results[store] = asyncio.run(measure(address))
        print(f"bench: search on {store}: {json.dumps(results[store], indent=1)}", flush=True)
    out = install.ROOT / "bench" / "results" / f"search-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(table(results))
    return 0


def table(results: dict[str, Any]) -> str:
    """The figures as the markdown table of docs/benchmarks.md."""
    stores = list(results)
    head = "| query | " + " | ".join(f"{s}: p50 / p95 / p99 ms" for s in stores) + " |"
    lines = [head, "|---|" + "---|" * len(stores)]
    kinds = list(results[stores[0]]["kinds"])
    for kind in [*kinds, "all"]:
        cells = []
        for store in stores:
            entry = results[store]["all"] if kind == "all" else results[store]["kinds"][kind]
            cells.append(f"{entry['p50']} / {entry['p95']} / {entry['p99']}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
