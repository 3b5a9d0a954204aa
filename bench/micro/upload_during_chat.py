"""What a 10 MiB upload costs the chat lines committed meanwhile, on a real SQLite server.

A ``roomcast serve`` child process (SQLite store, memory broker) with one room of 10 members;
one of them sends a line with a ``Ref`` every 5 ms and times each line from send to ``Ack``
(the commit and the event loop's turn). Phases of SECONDS each, interleaved: ``quiet`` (lines
only) and ``uploading`` (10 MiB uploads one after another, over HTTP, from the same machine).
Prints p50, p99 and max of the Ack latency per phase, and the uploads' throughput.

Run: .venv/bin/python bench/micro/upload_during_chat.py [SECONDS] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import websockets

FILE = os.urandom(10 * 1024 * 1024)
ROOM = "bench"
PERIOD = 0.005


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ROOMCAST_RATE_MESSAGES": "0",
        "ROOMCAST_RATE_MESSAGES_PER_IP": "0",
        "ROOMCAST_UPLOAD_QUOTA_BYTES": str(2**40),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "roomcast", "serve", "--port", str(port),
         "--db", str(data / "chat.db"), "--data-dir", str(data), "--log-level", "WARNING"],
        env=env,
    )  # fmt: skip
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


async def _drain(ws: websockets.ClientConnection) -> None:
    async for _ in ws:
        pass


async def _lines(ws: websockets.ClientConnection, seconds: float) -> list[float]:
    """Send a line every PERIOD for ``seconds``; each one's send-to-Ack time in ms."""
    sent: dict[int, float] = {}
    latencies: list[float] = []
    refs = itertools.count(1)

    async def receive() -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("Type") == "Ack":
                latencies.append((time.perf_counter() - sent.pop(frame["Ref"])) * 1000)

    reader = asyncio.create_task(receive())
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        ref = next(refs)
        sent[ref] = time.perf_counter()
        await ws.send(json.dumps({"Message": "aGVsbG8=", "Room": ROOM, "Ref": ref}))
        await asyncio.sleep(PERIOD)
    await asyncio.sleep(0.5)
    reader.cancel()
    return latencies


async def _uploads(base: str, session: str, stop: asyncio.Event) -> int:
    done = 0
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            async with http.post(
                f"{base}/api/rooms/{ROOM}/uploads",
                data=FILE,
                headers={"X-Roomcast-Session": session, "X-Filename": "big.bin"},
            ) as response:
                assert response.status == 201, await response.text()
                done += 1
    return done


def _figures(name: str, latencies: list[float], extra: str = "") -> None:
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:10} lines {len(latencies):5}  p50 {cuts[49]:6.2f} ms  p99 {cuts[98]:6.2f} ms"
        f"  max {max(latencies):7.2f} ms  {extra}"
    )


async def main(seconds: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        proc = _start(Path(folder), port)
        try:
            ws_url, base = f"ws://127.0.0.1:{port}/ws?room={ROOM}", f"http://127.0.0.1:{port}"
            members = [await websockets.connect(ws_url, max_size=None) for _ in range(9)]
            drains = [asyncio.create_task(_drain(ws)) for ws in members]
            sender = await websockets.connect(ws_url, max_size=None)
            session = json.loads(await sender.recv())["Session"]
            for _ in range(rounds):
                _figures("quiet", await _lines(sender, seconds))
                stop = asyncio.Event()
                uploading = asyncio.create_task(_uploads(base, session, stop))
                started = time.perf_counter()
                latencies = await _lines(sender, seconds)
                stop.set()
                count = await uploading
                rate = count * len(FILE) / (time.perf_counter() - started) / 2**20
                _figures("uploading", latencies, f"({count} x 10 MiB, {rate:.0f} MiB/s)")
            for task in drains:
                task.cancel()
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    asyncio.run(
        main(
            float(sys.argv[1]) if len(sys.argv) > 1 else 10,
            int(sys.argv[2]) if len(sys.argv) > 2 else 2,
        )
    )
