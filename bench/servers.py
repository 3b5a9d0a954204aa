"""The servers under test: how to start each one pinned to its core(s), and watch it.

Each server runs in its own process group, pinned with ``taskset`` to ``SERVER_CPU`` (a scale-out
server with more than one process to ``BOTH_CPUS``); the load generator is pinned to
``GENERATOR_CPU``. ``RunningServer`` reads the RSS and CPU time of every process in the server's
group from ``/proc`` so every step can say whether the server (one core at 100%) was the limit.

The scale-out servers (``ServerSpec.workers``) are ``roomcast serve --workers N`` through Redis
and PostgreSQL: each run gets a fresh PostgreSQL schema and Redis key prefix (``SharedState``),
dropped when the server stops, and each step also records the CPU time of every Redis and
PostgreSQL process on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import asyncpg
import redis

from bench import install

SERVER_CPU: Final = "0"
GENERATOR_CPU: Final = "1"
# The scale-out servers with more than one process may use both cores (the generator's too).
BOTH_CPUS: Final = "0,1"
REDIS_URL: Final = "redis://127.0.0.1:6379/0"
POSTGRES_URL: Final = "postgresql://postgres@127.0.0.1/test"
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
    workers: int = 0  # above 0: a scale-out server, that many processes via Redis and PostgreSQL
    cpus: str = SERVER_CPU  # taskset's CPU list
    scenarios: tuple[str, ...] = ()  # the only scenarios it runs in; empty: every one

    def runs(self, scenario: str) -> bool:
        return not self.scenarios or scenario in self.scenarios

    @property
    def shares_generator_core(self) -> bool:
        return GENERATOR_CPU in self.cpus.split(",")

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
        if self.name in install.NODE_PEERS:
            return ["node", str(install.ensure_node(self.name)), str(port)]
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
            "roomcast-noindex", "roomcast (SQLite, search_index off)", ready_token='"Joined"',
            presence=True, scenarios=("rooms100x10", "fanout100"),
            roomcast_args=("--db", "{workdir}/roomcast.db", "--search-index", "off"),
        ),
        ServerSpec(
            "roomcast-mem", "roomcast (memory://)", ready_token='"Joined"', presence=True,
            roomcast_args=("--db", "memory://", *ROOMCAST_COMMON),
        ),
        ServerSpec("bare", "bare pre-framed (ceiling)"),
        ServerSpec("node-ws", "Node ws"),
        ServerSpec("uws", "uWebSockets.js pub/sub"),
        ServerSpec("websockets", "websockets broadcast()"),
        ServerSpec(
            "socketio", "python-socketio + uvicorn", proto="sio",
            path="/socket.io/?EIO=4&transport=websocket&room=%R", fast=False,
        ),
        ServerSpec("channels", "Django Channels (in-memory layer)", path="/ws?room=%R", fast=False),
        *(
            ServerSpec(
                f"roomcast-redis{n}", f"roomcast, {n} process{'es' if n > 1 else ''} "
                "(Redis + PostgreSQL)", ready_token='"Joined"', presence=True, workers=n,
                cpus=SERVER_CPU if n == 1 else BOTH_CPUS, scenarios=("rooms100x10",),
            )
            for n in (1, 2, 3)
        ),
    )
}  # fmt: skip
SCALE_OUT: Final = tuple(name for name, spec in SERVERS.items() if spec.workers)


@dataclass(frozen=True)
class SharedState:
    """A fresh PostgreSQL schema and Redis key prefix for one scale-out server's run."""

    token: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def schema(self) -> str:
        return f"bench_{self.token}"

    @property
    def prefix(self) -> str:
        return f"roomcast-bench:{self.token}:"

    def args(self, workers: int) -> tuple[str, ...]:
        return (
            "--workers", str(workers), "--broker", REDIS_URL, "--redis-prefix", self.prefix,
            "--db", f"{POSTGRES_URL}?search_path={self.schema}",
        )  # fmt: skip

    def create(self) -> None:
        asyncio.run(_postgres(f"CREATE SCHEMA {self.schema}"))

    def drop(self) -> None:
        """Drop the schema and delete every Redis key under the prefix."""
        asyncio.run(_postgres(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=self.prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


async def _postgres(statement: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@dataclass(frozen=True)
class Proc:
    """What ``/proc/PID/stat`` tells of one process."""

    comm: str
    pgrp: int
    cpu: float  # user + system seconds


def processes() -> dict[int, Proc]:
    """Every process's name, process group and CPU time, from ``/proc/PID/stat``."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                head, _, tail = f.read().rpartition(")")
        except OSError:
            continue  # exited meanwhile
        fields = tail.split()
        cpu = (int(fields[11]) + int(fields[12])) / _CLK_TCK
        out[int(entry.name)] = Proc(head.partition("(")[2], int(fields[2]), cpu)
    return out


def cpu_seconds(server: RunningServer) -> tuple[float, float, int]:
    """User and system CPU seconds of the server's processes so far, and their threads' context
    switches (each a hop between the event loop and a store thread, or a wait)."""
    user = system = 0.0
    switches = 0
    for pid in (pid for pid, proc in processes().items() if proc.pgrp == server.pid):
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        user += int(fields[11]) / _CLK_TCK
        system += int(fields[12]) / _CLK_TCK
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/status") as status:
                switches += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
    return user, system, switches


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idle and I/O wait, from ``/proc/stat``."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _CLK_TCK


def listening_sockets(port: int) -> int:
    """How many TCP sockets listen on ``port`` (one per worker with ``SO_REUSEPORT``)."""
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A")


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
    shared: SharedState | None = None
    extra: tuple[str, ...] = ()
    _mark: tuple[float, dict[str, dict[int, float]]] = field(default=(0.0, {}))

    @property
    def pid(self) -> int:
        return self.process.pid

    def pids(self) -> list[int]:
        """The server's processes: its process group (a supervisor and its workers, or one)."""
        return [pid for pid, proc in processes().items() if proc.pgrp == self.pid]

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * _PAGE
        return total

    def run_queue_wait(self) -> float:
        """Seconds the main threads of the server's processes spent runnable but not running."""
        return sum(run_queue_wait(pid) for pid in self.pids())

    def _cpu_groups(self) -> dict[str, dict[int, float]]:
        """CPU seconds per process of the server and, for a scale-out server, of Redis, of
        PostgreSQL and (one entry, pid 0) of the whole machine."""
        procs = processes()
        groups = {"server_cpu": {pid: p.cpu for pid, p in procs.items() if p.pgrp == self.pid}}
        if self.spec.workers:
            for key, comm in (("redis_cpu", "redis-server"), ("postgres_cpu", "postgres")):
                groups[key] = {pid: p.cpu for pid, p in procs.items() if p.comm == comm}
            groups["machine_cpu"] = {0: machine_busy_seconds()}
        return groups

    def mark(self) -> None:
        self._mark = (time.monotonic(), self._cpu_groups())

    def cpus_since_mark(self) -> dict[str, float]:
        """Cores used since ``mark()`` (1.0: one core) by the server and, for a scale-out server,
        by Redis, PostgreSQL and the whole machine; a process started since counts from zero."""
        t0, before = self._mark
        now = self._cpu_groups()
        elapsed = time.monotonic() - t0
        if elapsed <= 0:
            return dict.fromkeys(now, 0.0)
        return {
            key: sum(cpu - before.get(key, {}).get(pid, 0.0) for pid, cpu in group.items())
            / elapsed
            for key, group in now.items()
        }

    def cpu_since_mark(self) -> float:
        """Cores the server's processes used since ``mark()``."""
        return self.cpus_since_mark()["server_cpu"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the whole process group; drop a scale-out server's schema and Redis keys."""
        self._terminate()
        self.workdir.cleanup()
        if self.shared is not None:
            self.shared.drop()

    def restart(self, kill: bool = False) -> float:
        """Stop the server with SIGTERM (roomcast's graceful stop: 1012 and a retry hint to every
        connection), or with SIGKILL when ``kill``, and start it again on the same port and data;
        ``time.monotonic()`` of the moment the new one accepts connections."""
        if kill and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self._terminate()
        self.process = _launch(self.spec, self.port, Path(self.workdir.name), self.log_path,
                               self.extra)  # fmt: skip
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return time.monotonic()
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"{self.spec.name} did not listen again: see {self.log_path}")

    def _terminate(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_server(spec: ServerSpec, log_dir: Path, extra: tuple[str, ...] = ()) -> RunningServer:
    """Start ``spec`` on a free port pinned to its cores; wait until every process accepts."""
    port = free_port()
    workdir = tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}-{port}.log"
    shared = SharedState() if spec.workers else None
    if shared is not None:
        shared.create()
        extra = (*shared.args(spec.workers), *extra)
    process = _launch(spec, port, Path(workdir.name), log_path, extra)
    server = RunningServer(spec, port, process, workdir, log_path, shared, extra)
    _await_listening(server)
    return server


def _launch(
    spec: ServerSpec, port: int, workdir: Path, log_path: Path, extra: tuple[str, ...]
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    if spec.name in install.NODE_PEERS:
        env["NODE_PATH"] = str(install.node_dir(spec.name) / "node_modules")
    env["PYTHONUNBUFFERED"] = "1"
    cmd = ["taskset", "-c", spec.cpus, *spec.command(port, workdir, extra)]
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=install.ROOT, env=env, start_new_session=True,
        )  # fmt: skip


def _await_listening(server: RunningServer) -> None:
    spec, port, process, log_path = server.spec, server.port, server.process, server.log_path
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"{spec.name} exited at start: see {log_path}")
        # a supervisor's workers each listen on their own socket once set up
        if spec.workers > 1 and listening_sockets(port) < spec.workers:
            time.sleep(0.1)
            continue
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.stop()
        raise RuntimeError(f"{spec.name} did not listen within {_START_TIMEOUT}s: see {log_path}")
    time.sleep(0.3)
