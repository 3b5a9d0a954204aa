"""The servers under test: how to start each one pinned to the server core, and watch it.

Each server runs in its own process group, pinned with ``taskset`` to ``SERVER_CPU``; the load
generator is pinned to ``GENERATOR_CPU``. ``RunningServer`` reads the server's RSS and CPU time
from ``/proc`` so every step can say whether the server (one core at 100%) was the limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bench import install

SERVER_CPU: Final = "0"
GENERATOR_CPU: Final = "1"
_CLK_TCK: Final = os.sysconf("SC_CLK_TCK")
_PAGE: Final = os.sysconf("SC_PAGE_SIZE")
_START_TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class ServerSpec:
    """A server and the small adapter the generator needs to speak to it."""

    name: str
    label: str
    proto: str = "ws"
    path: str = "/ws?room=%R&nick=%N"
    ready_token: str = ""
    presence: bool = False
    roomcast_args: tuple[str, ...] = ()
    fast: bool = True

    def command(self, port: int, workdir: Path, extra: tuple[str, ...] = ()) -> list[str]:
        peers = install.BENCH_DIR / "peers"
        if self.name.startswith("roomcast"):
            return [
                sys.executable, "-m", "roomcast", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--data-dir", str(workdir), "--log-level", "WARNING",
                *self.roomcast_args_for(workdir), *extra,
            ]  # fmt: skip
        if self.name == "bare":
            return [sys.executable, str(peers / "bare.py"), str(port)]
        if self.name == "node-ws":
            return ["node", str(install.ensure_node()), str(port)]
        if self.name == "websockets":
            python = install.venv_python("websockets")
            return [str(python), str(peers / "websockets_server.py"), str(port)]
        if self.name in ("socketio", "channels"):
            app = (
                "socketio_server:app" if self.name == "socketio" else "channels_server:application"
            )
            return [
                str(install.venv_python(self.name)), "-m", "uvicorn", "--app-dir", str(peers),
                app, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                "--no-access-log",
            ]  # fmt: skip
        raise ValueError(f"unknown server {self.name}")

    def roomcast_args_for(self, workdir: Path) -> list[str]:
        args = [*self.roomcast_args, *roomcast_bench_flags()]
        return [a.replace("{workdir}", str(workdir)) for a in args]

    def loadgen_args(self) -> list[str]:
        args = ["--proto", self.proto, "--path", self.path]
        if self.ready_token:
            args += ["--ready-token", self.ready_token]
        return args


# All load comes from 127.0.0.1 at rates no person types: roomcast's per-client and per-IP abuse
# limits (rate limits, connection caps) are lifted, and no backlog is replayed on join.
# Flags the installed roomcast does not know are left out.
ROOMCAST_BENCH_FLAGS: Final = {
    "--history-on-join": "0",
    "--rate-messages": "0/1",
    "--rate-messages-per-ip": "0/1",
    "--rate-joins": "0/1",
    "--rate-nicks": "0/1",
    "--max-connections": "30000",
    "--max-connections-per-ip": "30000",
}
_known_flags: set[str] | None = None


def roomcast_bench_flags() -> list[str]:
    global _known_flags
    if _known_flags is None:
        help_text = subprocess.run(
            [sys.executable, "-m", "roomcast", "serve", "--help"],
            capture_output=True, text=True, timeout=60, check=False,
        ).stdout  # fmt: skip
        _known_flags = {w.strip("[],") for w in help_text.split() if w.startswith("--")}
    return [x for flag, value in ROOMCAST_BENCH_FLAGS.items() if flag in _known_flags
            for x in (flag, value)]  # fmt: skip


ROOMCAST_COMMON: Final[tuple[str, ...]] = ()
SERVERS: Final[dict[str, ServerSpec]] = {
    s.name: s
    for s in (
        ServerSpec(
            "roomcast", "roomcast (SQLite)", ready_token='"Joined"', presence=True,
            roomcast_args=("--db", "{workdir}/roomcast.db", *ROOMCAST_COMMON),
        ),
        ServerSpec(
            "roomcast-mem", "roomcast (memory://)", ready_token='"Joined"', presence=True,
            roomcast_args=("--db", "memory://", *ROOMCAST_COMMON),
        ),
        ServerSpec("bare", "bare pre-framed (ceiling)"),
        ServerSpec("node-ws", "Node ws"),
        ServerSpec("websockets", "websockets broadcast()"),
        ServerSpec(
            "socketio", "python-socketio + uvicorn", proto="sio",
            path="/socket.io/?EIO=4&transport=websocket&room=%R", fast=False,
        ),
        ServerSpec("channels", "Django Channels (in-memory layer)", path="/ws?room=%R", fast=False),
    )
}  # fmt: skip


def run_queue_wait(pid: int) -> float:
    """From ``/proc/PID/schedstat``: time runnable but not running (other work held the core)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    workdir: tempfile.TemporaryDirectory[str]
    log_path: Path
    _cpu_mark: tuple[float, float] = field(default=(0.0, 0.0))

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def run_queue_wait(self) -> float:
        """Seconds the server's main thread spent runnable but waiting for its core."""
        return run_queue_wait(self.pid)

    def mark(self) -> None:
        self._cpu_mark = (time.monotonic(), self.cpu_seconds())

    def cpu_since_mark(self) -> float:
        """Fraction of one core the server used since ``mark()``."""
        t0, c0 = self._cpu_mark
        elapsed = time.monotonic() - t0
        return (self.cpu_seconds() - c0) / elapsed if elapsed > 0 else 0.0

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.workdir.cleanup()


def start_server(spec: ServerSpec, log_dir: Path, extra: tuple[str, ...] = ()) -> RunningServer:
    """Start ``spec`` on a free port pinned to the server core; wait until it accepts."""
    port = free_port()
    workdir = tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}-{port}.log"
    env = dict(os.environ)
    env["NODE_PATH"] = str(install.node_dir() / "node_modules")
    env["PYTHONUNBUFFERED"] = "1"
    cmd = ["taskset", "-c", SERVER_CPU, *spec.command(port, Path(workdir.name), extra)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=install.ROOT, env=env, start_new_session=True,
        )  # fmt: skip
    server = RunningServer(spec, port, process, workdir, log_path)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            workdir.cleanup()
            raise RuntimeError(f"{spec.name} exited at start: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.stop()
        raise RuntimeError(f"{spec.name} did not listen within {_START_TIMEOUT}s: see {log_path}")
    time.sleep(0.3)
    return server
