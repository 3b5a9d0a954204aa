"""``--workers``: the supervisor forks real worker processes, restarts one that dies, passes
SIGTERM on, kills one that will not stop, and leaves no worker behind when it is killed."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from roomcast.ops import supervisor
from roomcast.ops.config import Settings


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its parent counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def started(folder: Path) -> list[int]:
    """The pids of the workers that have started so far (each writes a file named after it)."""
    return sorted(int(path.name) for path in folder.iterdir() if path.name.isdigit())


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def waiting_worker(folder: Path) -> Callable[[Settings], int]:
    """A worker that says it started and then serves until a signal ends it."""

    def work(settings: Settings) -> int:
        note = folder / f".{os.getpid()}"
        note.write_text(str(settings.port))
        note.rename(folder / str(os.getpid()))  # seen whole or not at all
        while True:
            time.sleep(1)

    return work


def stop_when(condition: Callable[[], bool], sig: int = signal.SIGTERM) -> threading.Thread:
    """Send ``sig`` to this process (the supervisor) once ``condition`` holds."""

    def watch() -> None:
        wait_for(condition)
        os.kill(os.getpid(), sig)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_workers_run_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    handler = signal.getsignal(signal.SIGTERM)
    stop_when(lambda: len(started(tmp_path)) == 3)
    assert supervisor.run(Settings(workers=3, port=8123), waiting_worker(tmp_path)) == 0
    pids = started(tmp_path)
    assert len(pids) == 3
    assert os.getpid() not in pids
    assert {(tmp_path / str(pid)).read_text() for pid in pids} == {"8123"}
    assert not any(alive(pid) for pid in pids)
    assert signal.getsignal(signal.SIGTERM) is handler  # the supervisor's handler is gone


def test_a_worker_that_dies_is_started_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crashed = tmp_path / "crashed"
    workers = tmp_path / "workers"
    workers.mkdir()
    serve = waiting_worker(workers)

    def crashes_once(settings: Settings) -> int:
        if not crashed.exists():
            crashed.write_text(str(os.getpid()))
            return 3
        return serve(settings)

    stop_when(lambda: len(started(workers)) == 1)
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=supervisor.__name__):
        supervisor.run(Settings(workers=1), crashes_once)
    first = int(crashed.read_text())
    (second,) = started(workers)
    assert second != first
    # It died young, so the pause before the restart doubled from 0.5 s.
    assert time.monotonic() - began >= 1.0
    assert f"worker 0 (pid {first}) exited with status 3; restarting it in 1.0 s" in caplog.text


def test_a_worker_that_raises_exits_1_and_is_restarted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workers = tmp_path / "workers"
    workers.mkdir()
    serve = waiting_worker(workers)
    marker = tmp_path / "raised"

    def raises_once(settings: Settings) -> int:
        if not marker.exists():
            marker.touch()
            raise RuntimeError("worker bug")
        return serve(settings)

    stop_when(lambda: len(started(workers)) == 1)
    with caplog.at_level(logging.WARNING, logger=supervisor.__name__):
        supervisor.run(Settings(workers=1), raises_once)
    assert "exited with status 1; restarting it" in caplog.text


def test_a_worker_that_ignores_sigterm_is_killed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def stubborn(settings: Settings) -> int:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        (tmp_path / str(os.getpid())).touch()
        while True:
            time.sleep(1)

    stop_when(lambda: len(started(tmp_path)) == 1)
    # The grace is shutdown_timeout + 10 s: a negative timeout makes it half a second here.
    with caplog.at_level(logging.WARNING, logger=supervisor.__name__):
        supervisor.run(Settings(workers=1, shutdown_timeout=-9.5), stubborn)
    (pid,) = started(tmp_path)
    assert not alive(pid)
    assert f"worker pid {pid} did not stop in time; killing it" in caplog.text


def test_killing_the_supervisor_stops_its_workers(tmp_path: Path) -> None:
    workers = tmp_path / "workers"
    workers.mkdir()
    boss = os.fork()
    if boss == 0:  # the supervisor, in a process of its own
        code = 1
        try:
            code = supervisor.run(Settings(workers=2), waiting_worker(workers))
        finally:
            os._exit(code)
    try:
        wait_for(lambda: len(started(workers)) == 2)
    finally:
        os.kill(boss, signal.SIGKILL)
        os.waitpid(boss, 0)
    wait_for(lambda: not any(alive(pid) for pid in started(workers)))
