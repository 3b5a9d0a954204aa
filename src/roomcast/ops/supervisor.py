"""``roomcast serve --workers N``: N server processes sharing one port, kept running.

The supervisor forks the workers before any event loop or thread exists. Each worker runs the
ordinary server, binding the same host and port with ``SO_REUSEPORT``, so the kernel spreads new
connections over them; each is a node of its own towards the broker, the presence and the store
(which is why ``--workers`` above 1 needs Redis and PostgreSQL, see ``config.Settings.validate``).

The supervisor restarts a worker that dies (after a pause that grows while workers keep dying
young), passes SIGTERM and SIGINT on to every worker and waits for them to shut down gracefully,
killing any still alive ``shutdown_timeout`` plus 10 seconds later. On Linux a worker is told to
stop when the supervisor itself dies, so a ``kill -9`` of the supervisor leaves no orphans.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Final

from roomcast.ops.config import Settings

log = logging.getLogger(__name__)

RESTART_FIRST: Final = 0.5
RESTART_MAX: Final = 30.0
# A worker that dies younger than this counts as crash-looping: the next pause doubles.
HEALTHY_AGE: Final = 10.0
POLL: Final = 0.1


def run(settings: Settings, worker: Callable[[Settings], int]) -> int:
    """Run ``worker(settings)`` in ``settings.workers`` processes until SIGTERM or SIGINT."""
    supervisor = _Supervisor(settings, worker)
    return supervisor.run()


class _Supervisor:
    def __init__(self, settings: Settings, worker: Callable[[Settings], int]) -> None:
        self.settings = settings
        self.worker = worker
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (worker number, started)
        self.stopping: int | None = None  # the signal that asked us to stop
        self.pid = os.getpid()

    def run(self) -> int:
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for number in range(self.settings.workers):
                self._spawn(number)
            log.info(
                "supervisor %d started %d workers on %s:%d",
                self.pid,
                self.settings.workers,
                self.settings.host,
                self.settings.port,
            )
            self._supervise()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping is None:
            log.info("supervisor stopping %d workers", len(self.children))
        self.stopping = signum
        for pid in self.children:
            _kill(pid, signum)

    def _spawn(self, number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                _stop_with_parent(self.pid)
                code = self.worker(self.settings)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = (number, time.monotonic())

    def _supervise(self) -> None:
        delay = RESTART_FIRST
        deadline: float | None = None
        restarts: list[tuple[float, int]] = []  # (when, worker number)
        while self.children or (restarts and self.stopping is None):
            now = time.monotonic()
            if self.stopping is not None:
                restarts.clear()
                if deadline is None:
                    deadline = now + self.settings.shutdown_timeout + 10
                elif now > deadline:
                    for pid in self.children:
                        log.warning("worker pid %d did not stop in time; killing it", pid)
                        _kill(pid, signal.SIGKILL)
                    deadline = now + 5
            for when, number in [r for r in restarts if r[0] <= now]:
                restarts.remove((when, number))
                self._spawn(number)
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                time.sleep(POLL)
                continue
            if pid not in self.children:
                continue
            number, started = self.children.pop(pid)
            if self.stopping is not None:
                continue
            code = os.waitstatus_to_exitcode(status)
            delay = min(delay * 2, RESTART_MAX) if now - started < HEALTHY_AGE else RESTART_FIRST
            log.warning(
                "worker %d (pid %d) exited with %s; restarting it in %.1f s",
                number,
                pid,
                f"signal {-code}" if code < 0 else f"status {code}",
                delay,
            )
            restarts.append((now + delay, number))


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _stop_with_parent(parent: int) -> None:
    """Ask Linux to send this process SIGTERM when the supervisor dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(0)
