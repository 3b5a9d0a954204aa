"""PostgreSQL driver cost: asyncpg against psycopg 3, running the store's own append statement.

Each driver appends 400 batches of 50 messages over 100 rooms (one statement per batch, as
``PostgresStore`` does) and then reads 50-message pages 2,000 times; the figures are the client's
CPU per message appended and per page read (wall time is mostly PostgreSQL's commit). Then the
store itself: one append awaited at a time (p50, p99), and appends in flight at once.
Needs PostgreSQL on 127.0.0.1 (trust auth, database ``test``) and ``pip install psycopg[binary]``
for the psycopg row; it works in a schema of its own and drops it.

Run: .venv/bin/python bench/micro/postgres_driver.py
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any

import asyncpg
import uvloop

from roomcast.store.base import NewMessage
from roomcast.store.postgres import PostgresStore, apply_migrations
from roomcast.store.postgres.writer import APPEND

DSN = "postgresql://postgres@127.0.0.1/test"
SCHEMA = "roomcast_bench_driver"
BATCHES, BATCH = 400, 50
READS = 2000
READ = "SELECT room, id, author, body, wsid, sent_ms FROM messages WHERE room = {} AND id > {}"
READ += " ORDER BY id LIMIT {}"


def batch(number: int) -> list[list[Any]]:
    rows = [
        (f"room-{random.randrange(100)}", "guest-1234", "hello world " * 3, "0123456789abcdef",
         1_700_000_000_000 + number, "s" * 32, f"i:{number}-{i}", "g:" + "s" * 32, None, None)
        for i in range(BATCH)
    ]  # fmt: skip
    return [list(column) for column in zip(*rows, strict=True)]


async def fresh_schema() -> None:
    conn = await asyncpg.connect(DSN)
    await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    await conn.execute(f"SET search_path = {SCHEMA}")
    await apply_migrations(conn)
    await conn.close()


async def with_asyncpg() -> tuple[float, float]:
    await fresh_schema()
    conn = await asyncpg.connect(DSN, server_settings={"search_path": SCHEMA})
    cpu = time.process_time()
    for number in range(BATCHES):
        await conn.fetch(APPEND, *batch(number))
    append = time.process_time() - cpu
    read_sql = READ.format("$1", "$2", "$3")
    cpu = time.process_time()
    for number in range(READS):
        await conn.fetch(read_sql, f"room-{number % 100}", 0, 50)
    read = time.process_time() - cpu
    await conn.close()
    return append, read


async def with_psycopg() -> tuple[float, float]:
    import psycopg

    await fresh_schema()
    conn = await psycopg.AsyncConnection.connect(
        DSN, autocommit=True, options=f"-csearch_path={SCHEMA}"
    )
    append_sql = APPEND
    for number in range(10, 0, -1):
        append_sql = append_sql.replace(f"${number}", "%s")
    cpu = time.process_time()
    for number in range(BATCHES):
        await (await conn.execute(append_sql, batch(number), prepare=True)).fetchall()
    append = time.process_time() - cpu
    read_sql = READ.format("%s", "%s", "%s")
    cpu = time.process_time()
    for number in range(READS):
        await (
            await conn.execute(read_sql, (f"room-{number % 100}", 0, 50), prepare=True)
        ).fetchall()
    read = time.process_time() - cpu
    await conn.close()
    return append, read


async def store_latency() -> tuple[float, float, float]:
    await fresh_schema()
    store = PostgresStore(f"{DSN}?search_path={SCHEMA}")
    await store.open()
    latencies = []
    for _ in range(500):
        start = time.perf_counter()
        await store.append(NewMessage("r", "a", "hello world", "w", 0, owner="g:s"))
        latencies.append(time.perf_counter() - start)
    count = 50_000
    start = time.perf_counter()
    await asyncio.gather(
        *[
            store.append(NewMessage(f"r{i % 100}", "a", "hello", "w", 0, owner="g:s"))
            for i in range(count)
        ]
    )
    rate = count / (time.perf_counter() - start)
    await store.close()
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49], cuts[98], rate


async def main() -> None:
    messages = BATCHES * BATCH
    print("| driver | append, client CPU per message | 50-row page read, client CPU |")
    print("|---|---|---|")
    for name, run in (("asyncpg", with_asyncpg), ("psycopg 3 (binary, prepared)", with_psycopg)):
        try:
            append, read = await run()
        except ImportError:
            continue
        print(f"| {name} | {append / messages * 1e6:.1f} us | {read / READS * 1e6:.0f} us |")
    p50, p99, rate = await store_latency()
    print(
        f"\nPostgresStore: one append awaited p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us;"
        f" {rate:,.0f} appends/s in flight at once"
    )
    conn = await asyncpg.connect(DSN)
    await conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    await conn.close()


if __name__ == "__main__":
    uvloop.install()
    asyncio.run(main())
