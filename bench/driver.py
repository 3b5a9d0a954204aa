"""Drives the C load generator: one command a line in, one JSON object a line out."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from typing import Any

from bench import install
from bench.servers import GENERATOR_CPU, RunningServer


class LoadgenError(RuntimeError):
    pass


class Loadgen:
    """One generator process bound to one server, pinned to the generator core."""

    def __init__(self, server: RunningServer, *, extra: list[str] | None = None) -> None:
        cmd = [
            "taskset", "-c", GENERATOR_CPU, str(install.ensure_loadgen()),
            "--host", "127.0.0.1", "--port", str(server.port),
            *server.spec.loadgen_args(), *(extra or []),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            bufsize=0,
        )  # fmt: skip
        assert self.process.stdout is not None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = b""

    @property
    def pid(self) -> int:
        return self.process.pid

    def command(self, line: str, timeout: float) -> dict[str, Any]:
        """Send ``line``; wait at most ``timeout`` seconds for its JSON answer."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line.encode() + b"\n")
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LoadgenError(f"loadgen gave no answer to {line!r} in {timeout:.0f}s")
            if not self._selector.select(left):
                continue
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise LoadgenError(f"loadgen exited during {line!r}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, Any] = json.loads(raw)
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.command("closeall 3", timeout=8)
                assert self.process.stdin is not None
                self.process.stdin.write(b"quit\n")
                self.process.wait(timeout=5)
            except (LoadgenError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=5)
        self._selector.close()
