"""Resident memory per idle WebSocket connection of a roomcast server.

Run: .venv/bin/python bench/micro/idle_memory.py [CONNECTIONS]
Opens CONNECTIONS (default 3,000) idle connections spread over 100 rooms and reports the growth
of the server's RSS divided by the count.
"""

from __future__ import annotations

import asyncio
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
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    data = tempfile.mkdtemp()
    server = subprocess.Popen(
        [sys.executable, "-m", "roomcast", "serve", "--port", str(PORT), "--db", "memory://",
         "--data-dir", data, "--log-level", "WARNING", "--max-connections-per-ip", "100000",
         "--rate-joins", "0"]
    )  # fmt: skip
    try:
        time.sleep(2)
        asyncio.run(measure(server.pid, count))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
