"""Message store cost: one-at-a-time commit latency and pipelined append throughput.

Run: .venv/bin/python bench/micro/store_commit.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from roomcast.store.base import MessageStore, NewMessage
from roomcast.store.memory import MemoryStore
from roomcast.store.sqlite import SQLiteStore


async def measure(make: Callable[[], MessageStore], label: str) -> None:
    store = make()
    await store.open()
    latencies = []
    for _ in range(500):
        start = time.perf_counter()
        await store.append(NewMessage("r", "a", "hello world", "w", 0))
        latencies.append(time.perf_counter() - start)
    count = 50_000
    start = time.perf_counter()
    pending = [
        store.append(NewMessage(f"r{i % 100}", "a", "hello world", "w", 0, "s", i))
        for i in range(count)
    ]
    await asyncio.gather(*pending)
    elapsed = time.perf_counter() - start
    await store.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1e6
    p99 = latencies[int(len(latencies) * 0.99)] * 1e6
    print(
        f"{label:14s} single p50 {p50:6.0f} us  p99 {p99:6.0f} us"
        f"  pipelined {count / elapsed:9.0f} msgs/s"
    )


async def main() -> None:
    folder = Path(tempfile.mkdtemp())
    await measure(MemoryStore, "memory")
    await measure(lambda: SQLiteStore(folder / "normal.db", synchronous="NORMAL"), "sqlite NORMAL")
    await measure(lambda: SQLiteStore(folder / "full.db", synchronous="FULL"), "sqlite FULL")


if __name__ == "__main__":
    asyncio.run(main())
