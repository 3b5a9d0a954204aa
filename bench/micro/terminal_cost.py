"""What Textual costs the terminal client: start-up, and redrawing as lines arrive.

Against a live ``roomcast serve`` on a free 127.0.0.1 port (started and stopped here), each
figure repeated and printed as median and range, wall-clock: on a loaded machine read the
ranges, not one number.

- import: ``python -X importtime`` in a fresh process: Textual's modules the client uses, then
  the whole client (``roomcast.terminal.app``: Textual, the client library, aiohttp, ...);
- first frame: from spawning a fresh ``python`` to its headless ``ChatApp`` (80x24) being
  mounted and connected (``run_test`` entered, first ``pilot.pause()`` returned);
- mount: the same in this process, with imports already paid;
- append: 1,000 lines written to the message log and drawn (a draw every 50 lines, as a busy
  room's stream would get), CPU time of this process per line;
- redraw: a full 80x24 screen laid out, rendered and composited again, CPU time per redraw.

Append and redraw are CPU time (``time.process_time``) because waiting for Textual to draw
means sleeping until it is idle, and those sleeps are not the cost; the server runs in its own
process, so its work is not counted.

Run: PYTHONPATH=src .venv/bin/python bench/micro/terminal_cost.py [REPEATS]  (default 10)
"""

from __future__ import annotations

import asyncio
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.text import Text
from textual.widgets import RichLog

from roomcast.terminal.app import ChatApp
from roomcast.terminal.options import ChatOptions

TEXTUAL_IMPORTS = "import textual.app, textual.binding, textual.containers, textual.widgets"
FIRST_FRAME = """
import asyncio, sys
from roomcast.terminal.app import ChatApp
from roomcast.terminal.options import ChatOptions
async def main() -> None:
    app = ChatApp(ChatOptions(sys.argv[1], ("lobby",), "bench", color=True, bell=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print("mounted", flush=True)
asyncio.run(main())
"""


@contextmanager
def live_server() -> Iterator[str]:
    """A ``roomcast serve`` on a free port with a throw-away data directory; its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "roomcast", "serve", "--port", str(port)]
        command += ["--db", str(Path(data) / "r.db"), "--data-dir", data]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.05)
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


def summary(name: str, values: list[float], unit: str) -> None:
    print(
        f"{name:<14} median {statistics.median(values):9.2f} {unit}"
        f"  range {min(values):.2f} .. {max(values):.2f}  (n={len(values)})"
    )


def import_costs() -> tuple[float, float]:
    """Import µs in a fresh process: Textual's modules the client uses (with Rich, which they
    pull in), then everything ``roomcast.terminal.app`` needs on top (the client library,
    aiohttp, ...): the sums of the top-level cumulative times ``-X importtime`` reports."""
    code = TEXTUAL_IMPORTS + "; import roomcast.terminal.app"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    textual = everything = 0.0
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)  # top level only
        if found:
            everything += float(found.group(1))
            if found.group(2).split(".")[0] in ("textual", "rich"):
                textual += float(found.group(1))
    return textual, everything


def first_frame(url: str) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", FIRST_FRAME, url], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.wait(30)
    if line.strip() != b"mounted":
        raise RuntimeError("the client did not start")
    return elapsed


async def in_process(url: str, repeats: int) -> None:
    mounts: list[float] = []
    for _ in range(repeats):
        app = ChatApp(ChatOptions(url, ("lobby",), "bench", color=True, bell=False))
        started = time.perf_counter()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            mounts.append((time.perf_counter() - started) * 1000)
    summary("mount", mounts, "ms")

    appends: list[float] = []
    redraws: list[float] = []
    for _ in range(repeats):
        app = ChatApp(ChatOptions(url, ("lobby",), "bench", color=True, bell=False))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            log = app.query_one(RichLog)
            started = time.process_time()
            for number in range(1000):
                log.write(Text(f"14:30 bob: line {number} of a busy room, 宽字符 and 😀 too"))
                if number % 50 == 49:
                    await pilot.pause()  # let it draw, as a stream of arriving lines would
            await pilot.pause()
            appends.append((time.process_time() - started) * 1e6 / 1000)
            started = time.process_time()
            for _ in range(20):
                app.screen.refresh(layout=True)
                await pilot.pause()
            redraws.append((time.process_time() - started) * 1000 / 20)
    summary("append", appends, "µs CPU/line")
    summary("redraw", redraws, "ms CPU/screen")


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    imports = [import_costs() for _ in range(repeats)]
    summary("import Textual", [textual / 1000 for textual, _ in imports], "ms")
    summary("import all", [app / 1000 for _, app in imports], "ms")
    with live_server() as url:
        summary("first frame", [first_frame(url) * 1000 for _ in range(repeats)], "ms")
        asyncio.run(in_process(url, repeats))


if __name__ == "__main__":
    main()
