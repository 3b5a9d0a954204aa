"""A private Redis and a private PostgreSQL cluster for fault tests, each in a temporary directory
on a free port (never the machine's shared ones), that a test may kill, stop, freeze (SIGSTOP)
and thaw (SIGCONT).

PostgreSQL refuses to run as root: ``initdb`` and ``pg_ctl`` run as the ``postgres`` OS user
(through ``runuser`` when the tests run as root), in a directory owned by that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import free_port

POSTGRES_USER = "postgres"


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries' directory, if any is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> float:
    return float(path.split("/")[4])


def missing() -> str | None:
    """Why these services cannot run here, or None when they can."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    if postgres_bin() is None:
        return (
            "initdb is not installed under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL cannot be started"
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        if os.geteuid() == 0:
            return f"no {POSTGRES_USER!r} OS user to run PostgreSQL as"
    return None


def _processes(root: int) -> list[int]:
    """``root`` and every descendant of it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _signal_all(root: int, sig: signal.Signals) -> None:
    for pid in _processes(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on port {port} after {timeout} s") from None
            time.sleep(0.05)


@dataclass
class PrivateRedis:
    """``redis-server`` without persistence, on its own port, in ``directory``."""

    directory: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=(self.directory / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        _wait_port(self.port, 10)

    def kill(self) -> None:
        if self.proc is not None:
            self.thaw()
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGCONT)


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of its own (trust auth), made by ``initdb`` in ``directory``, which
    the postgres user must be able to reach: a directory of its own under /tmp, not pytest's
    (whose base directory is private to the user running the tests)."""

    directory: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def _run(self, *command: str) -> None:
        """Run a PostgreSQL tool as the postgres user; its output goes to the cluster's log (a
        pipe would be inherited by the server and never reach its end)."""
        tool = postgres_bin()
        assert tool is not None
        argv = [str(tool / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", POSTGRES_USER, "--", *argv]
        with (self.directory / "tools.log").open("ab") as out:
            subprocess.run(argv, check=True, stdout=out, stderr=subprocess.STDOUT, timeout=60)

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-U", POSTGRES_USER, "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
            " -c fsync=off -c max_connections=50"
        )
        log = str(self.directory / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-W", "start")
        deadline = time.monotonic() + 30
        while not self._accepting():
            if time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL did not start: see {log}")
            time.sleep(0.05)

    def _accepting(self) -> bool:
        """Whether the postmaster says it accepts connections (its pid file's status line)."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) > 7 and lines[7].strip() == "ready"

    def stop_immediate(self) -> None:
        self.thaw()
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: connections stay open, nothing answers."""
        _signal_all(self._postmaster(), signal.SIGSTOP)

    def thaw(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _signal_all(self._postmaster(), signal.SIGCONT)
