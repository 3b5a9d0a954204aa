"""Resident memory per idle WebSocket connection of a roomcast server.

Run: .venv/bin/python bench/micro/idle_memory.py [CONNECTIONS] [--db memory://|sqlite]
Opens CONNECTIONS (default 3,000) idle connections spread over 100 rooms and reports the growth
of the server's RSS divided by the count. ``--db sqlite`` serves from an SQLite file in a fresh
directory, as the benchmark's ``roomcast/idle`` does; the default is ``memory://``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import aiohttp

PORT = 18779


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def measure(pid: int, count: int) -> None:
    before = rss_kib(pid)
    connections = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for start in range(0, count, 200):
            batch = range(start, min(count, start + 200))
            connections += await asyncio.gather(
                *(session.ws_connect(f"http://127.0.0.1:{PORT}/ws?room=r{i % 100}") for i in batch)
            )
        await asyncio.sleep(3)
        after = rss_kib(pid)
        print(
            f"{count} idle connections: RSS {before} KiB -> {after} KiB"
            f" = {(after - before) / count:.1f} KiB per connection"
        )
        for connection in connections:
            await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="RSS per idle WebSocket connection")
    parser.add_argument("count", nargs="?", type=int, default=3000, help="connections to open")
    parser.add_argument("--db", choices=("memory://", "sqlite"), default="memory://")
    args = parser.parse_args()
    data = tempfile.mkdtemp()
    db = os.path.join(data, "roomcast.db") if args.db == "sqlite" else args.db
    server = subprocess.Popen(
        [sys.executable, "-m", "roomcast", "serve", "--port", str(PORT), "--db", db,
         "--data-dir", data, "--log-level", "WARNING", "--max-connections-per-ip", "100000",
         "--rate-joins", "0"]
    )  # fmt: skip
    try:
        time.sleep(2)
        asyncio.run(measure(server.pid, args.count))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
