"""Shared fixtures: a real roomcast server process on a free port, and a tiny WebSocket client."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Tests drive the server faster than people type; the rate-limit tests set their own limits.
UNLIMITED_RATES = {
    "ROOMCAST_RATE_MESSAGES": "0",
    "ROOMCAST_RATE_MESSAGES_PER_IP": "0",
    "ROOMCAST_RATE_JOINS": "0",
    "ROOMCAST_RATE_NICKS": "0",
    "ROOMCAST_RATE_LOGINS": "0",
}


# Readiness probes of a TLS server with a throw-away certificate need no verification.
_UNVERIFIED_TLS = ssl._create_unverified_context()


@dataclass
class ServerProcess:
    """A ``roomcast serve`` child process; start, stop, kill and restart it on the same port."""

    data_dir: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    scheme: str = "http"

    @property
    def http_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def db(self) -> str:
        return str(self.data_dir / "roomcast.db")

    @property
    def api_key(self) -> str:
        return (self.data_dir / "admin.key").read_text().strip()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "roomcast",
            "serve",
            "--port",
            str(self.port),
            "--db",
            self.db,
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]

    def start(self, timeout: float = 15.0) -> ServerProcess:
        self.log_path = self.data_dir / "server.log"
        env = {**os.environ, **UNLIMITED_RATES, **self.env}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(
                    self.http_url + "/healthz", timeout=1, context=_UNVERIFIED_TLS
                ):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    """Make servers with extra flags; every one is stopped at the end of the test."""
    started: list[ServerProcess] = []

    def make(*args: str, env: dict[str, str] | None = None, start: bool = True) -> ServerProcess:
        data = tmp_path / f"server{len(started)}"
        data.mkdir()
        server = ServerProcess(data, list(args), env or {})
        started.append(server)
        return server.start() if start else server

    yield make
    for server in started:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture
def server(server_factory: Any) -> ServerProcess:
    """A running server with an SQLite file and the in-process broker."""
    return server_factory("--userlist-interval", "0.02")  # type: ignore[no-any-return]
