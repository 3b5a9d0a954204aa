"""Event-loop stalls of the real server, each with its cause, under the bench's load generator.

Runs ``roomcast serve`` in this process with recorders around it, drives it with the bench's C
load generator (``bench/.peers/loadgen``, built by the first ``python -m bench`` run) and prints
what it found. The recorders only watch; their cost is a 2-ms timer on the loop and a thread
that takes the GIL for a few microseconds each millisecond:

- a ticker on the event loop (every 2 ms): a gap over ``--stall-ms`` between two ticks is a stall;
- a watchdog thread (every 1 ms) that, while the ticker is late, samples the main thread's stack
  (``sys._current_frames``) and keeps a ring of every thread's run and run-queue time
  (``/proc/self/task/TID/schedstat``), so a stall is put down to the thread that ran in it, or
  to the main thread waiting for a core (other processes on the machine);
- ``gc.callbacks``: every collection's generation and pause;
- timers around the writer thread's commit, its journal moves (whole, and slice by slice) and
  its checkpoint, the search indexer's batch and the checkpoint thread's checkpoint.

Delivery latency comes from the load generator: p50, p99 and max of every copy of every line.

Run (one room of 1,000 members, one sender at 20 lines/s, 8 s):
  PYTHONPATH=$PWD/src .venv/bin/python bench/micro/stalls.py --clients 1000 --rate 20
  ... --db memory://        the same on the memory store
  ... --clients 0 --idle 10000 --rooms 1000 --rate 0 --seconds 45
                            10,000 idle connections, no lines
  ... --rate 1000           1,000,000 deliveries a second
  ... --clients 1000 --rooms 100 --senders 1000 --rate 12000
                            100 rooms x 10, every client sending
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from roomcast.ops.metrics import Histogram

ROOT = Path(__file__).resolve().parents[2]
LOADGEN = ROOT / "bench" / ".peers" / "loadgen"
BENCH_FLAGS = [
    "--history-on-join", "0", "--rate-messages", "0/1", "--rate-messages-per-ip", "0/1",
    "--rate-joins", "0/1", "--rate-nicks", "0/1", "--max-connections", "30000",
    "--max-connections-per-ip", "30000", "--log-level", "WARNING",
]  # fmt: skip
_TICK = 0.002


class Recorder:
    """Everything the recorders saw, with perf_counter times."""

    def __init__(self, stall_ms: float) -> None:
        self.stall = stall_ms / 1000
        self.show = 12
        self.last_tick = time.perf_counter()
        self.stalls: list[dict[str, Any]] = []
        self.gcs: list[tuple[float, float, int, int]] = []  # start, seconds, generation, objects
        self.spans: dict[str, list[tuple[float, float, float]]] = collections.defaultdict(list)
        self.values: dict[str, list[int]] = collections.defaultdict(list)  # what timed calls gave
        self.samples: list[tuple[float, str]] = []  # (time, main thread's stack) while late
        self.ring: collections.deque[tuple[float, dict[str, tuple[int, int]]]] = collections.deque(
            maxlen=40_000
        )
        self._gc_started = 0.0
        self.full_outside: list[float] = []  # ms of each full collection outside the window
        self.counting = False
        self.lag: Histogram | None = None  # the server's roomcast_event_loop_lag_seconds
        self._main = threading.get_ident()  # made on the main thread
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif info["generation"] == 2 and not self.counting:
            self.full_outside.append((time.perf_counter() - self._gc_started) * 1000)
        elif self.counting:
            now = time.perf_counter()
            self.gcs.append(
                (self._gc_started, now - self._gc_started, info["generation"], _tracked())
            )

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` with its wall and thread CPU time recorded under ``name``."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            result = None
            try:
                result = fn(*args, **kwargs)
                return result
            finally:
                if self.counting and isinstance(result, int):
                    self.values[name].append(result)
                if self.counting:
                    self.spans[name].append(
                        (started, time.perf_counter() - started, time.thread_time() - cpu)
                    )

        return wrapper

    # -- on the loop ----------------------------------------------------------------------------

    def start_ticker(self, loop: asyncio.AbstractEventLoop) -> None:
        def tick() -> None:
            now = time.perf_counter()
            gap = now - self.last_tick
            if gap > self.stall + _TICK and self.counting:
                self.stalls.append({"start": self.last_tick, "end": now, "gap": gap})
            self.last_tick = now
            loop.call_later(_TICK, tick)

        loop.call_soon(tick)
        threading.Thread(target=self._watch, name="stall-watchdog", daemon=True).start()

    # -- the watchdog thread --------------------------------------------------------------------

    def _watch(self) -> None:
        fds: dict[str, int] = {}
        polls = 0
        while True:
            time.sleep(0.001)
            now = time.perf_counter()
            if polls % 100 == 0:
                fds = self._open_schedstats(fds)
            if polls % 5 == 0:
                snap: dict[str, tuple[int, int]] = {}
                for name, fd in fds.items():
                    try:
                        run, wait, _ = os.pread(fd, 100, 0).split()
                    except (OSError, ValueError):
                        continue
                    snap[name] = (int(run), int(wait))
                self.ring.append((now, snap))
            polls += 1
            if self.counting and now - self.last_tick > self.stall * 0.8:
                frame = sys._current_frames().get(self._main)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-6:]
                    self.samples.append(
                        (now, " < ".join(f"{Path(f.filename).name}:{f.name}:{f.lineno}"
                                         for f in reversed(stack)))
                    )  # fmt: skip

    @staticmethod
    def _open_schedstats(fds: dict[str, int]) -> dict[str, int]:
        """An open schedstat file per thread of this process (new threads added)."""
        for thread in threading.enumerate():
            name = thread.name.removeprefix("roomcast-")
            if name not in fds and thread.native_id is not None:
                try:
                    fds[name] = os.open(f"/proc/self/task/{thread.native_id}/schedstat", 0)
                except OSError:
                    continue
        return fds

    # -- afterwards -----------------------------------------------------------------------------

    def threads_in(self, start: float, end: float) -> dict[str, tuple[float, float]]:
        """Each thread's run and run-queue wait (ms) between the ring entries around the span."""
        before = after = None
        for when, snap in self.ring:
            if when <= start:
                before = snap
            if when >= end and after is None:
                after = snap
        if before is None or after is None:
            return {}
        return {
            name: ((after[name][0] - run) / 1e6, (after[name][1] - wait) / 1e6)
            for name, (run, wait) in before.items()
            if name in after
        }


def _tracked() -> int:
    return sum(gc.get_count())


def _run_queue_wait(pid: int) -> float:
    """Seconds process ``pid`` has waited for a core."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def install(rec: Recorder) -> None:
    """Wrap the server's stall suspects with ``rec``'s timers; start the ticker with the loop."""
    from roomcast.ops import loop_lag
    from roomcast.store.sqlite import checkpoint, search_index, writer
    from roomcast.transport import connection

    w = writer.Writer
    w._commit = rec.timed("writer.commit", w._commit)  # type: ignore[method-assign]
    m = writer.Mover
    m.move_all = rec.timed("writer.move", m.move_all)  # type: ignore[method-assign]
    m.move_slice = rec.timed("writer.move_slice", m.move_slice)  # type: ignore[method-assign]
    c = checkpoint.Checkpointer
    c.after_commit = rec.timed("writer.after_commit", c.after_commit)  # type: ignore[method-assign]
    checkpoint._checkpoint = rec.timed("checkpoint", checkpoint._checkpoint)
    search_index.index_batch = rec.timed("indexer.batch", search_index.index_batch)
    o = connection.Outbox
    o._flush = rec.timed("loop.outbox_flush", o._flush)  # type: ignore[method-assign]
    original_start = loop_lag.LoopLagSampler.start

    def start(self: loop_lag.LoopLagSampler) -> None:
        original_start(self)
        rec.lag = self._histogram
        rec.start_ticker(asyncio.get_running_loop())

    loop_lag.LoopLagSampler.start = start  # type: ignore[method-assign]


def drive(args: argparse.Namespace, port: int, rec: Recorder) -> dict[str, Any]:
    """The load generator's part, run in a thread while the server runs here."""
    path = "/ws?room=%R&nick=%N"
    for _ in range(300):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    cmd = ["taskset", "-c", args.loadgen_cpu, str(LOADGEN), "--port", str(port), "--path", path,
           "--ready-token", '"Joined"']  # fmt: skip
    lg = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert lg.stdin is not None

    def command(line: str) -> dict[str, Any]:
        assert lg.stdin is not None
        assert lg.stdout is not None
        lg.stdin.write(line + "\n")
        lg.stdin.flush()
        return dict(json.loads(lg.stdout.readline()))

    result: dict[str, Any] = {}
    try:
        if args.idle:
            result["open"] = command(f"open {args.idle} {args.rooms} idle 120")
        if args.clients:
            result["open_readers"] = command(f"open {args.clients} {args.rooms} read 60")
        time.sleep(1)
        for _ in range(3):
            started, cpu = time.perf_counter(), time.thread_time()
            gc.collect()
            result.setdefault("full_gc_ms", []).append(
                (round((time.perf_counter() - started) * 1000, 1),
                 round((time.thread_time() - cpu) * 1000, 1))
            )  # fmt: skip
        time.sleep(0.5)
        assert rec.lag is not None
        lag_before = list(rec.lag.counts)
        gen_wait = _run_queue_wait(lg.pid)
        rec.counting = True
        started, cpu = time.perf_counter(), time.process_time()
        if args.rate:
            result["step"] = command(f"step {args.rate} 1 {args.seconds} 1 {args.senders}")
        else:
            result["wait"] = command(f"wait {args.seconds}")
        if args.drop:
            result["closeall"] = command("closeall 20")
        result["window"] = (started, time.perf_counter())
        result["lag"] = [n - before for n, before in zip(rec.lag.counts, lag_before, strict=True)]
        result["gen_wait"] = (_run_queue_wait(lg.pid) - gen_wait) / (time.perf_counter() - started)
        result["cores"] = (time.process_time() - cpu) / (time.perf_counter() - started)
        wal = Path(args.workdir) / "roomcast.db-wal"
        result["wal_bytes"] = wal.stat().st_size if wal.exists() else 0
        rec.counting = False
        lg.stdin.write("quit\n")
        lg.stdin.flush()
    finally:
        lg.wait(10)
    return result


def report(rec: Recorder, result: dict[str, Any]) -> None:
    """Print the load generator's figures, the stalls with their causes and the timers."""
    start, end = result["window"]
    step = result.get("step")
    if step:
        print(f"delivery: p50 {step['p50']:.2f} p99 {step['p99']:.2f} max {step['max']:.2f} ms, "
              f"{step['delivered_per_sec']:.0f}/s, loss {1 - step['delivery']:.4f}; the generator "
              f"waited for its core {result['gen_wait']:.0%} of the time")  # fmt: skip
    gaps = sorted(stall["gap"] * 1000 for stall in rec.stalls)
    print(f"window {end - start:.1f} s, server CPU {result['cores']:.2f} cores; "
          f"stalls over {rec.stall * 1000:.0f} ms: {len(gaps)}, "
          f"over 25 ms: {sum(g > 25 for g in gaps)}, over 50 ms: {sum(g > 50 for g in gaps)}, "
          f"max {max(gaps, default=0):.1f} ms; the longest:")  # fmt: skip
    # A stall in which the main thread waited for a core for more than half of it is the
    # machine's (other processes), not the server's.
    machine = [
        stall
        for stall in rec.stalls
        if rec.threads_in(stall["start"], stall["end"]).get("MainThread", (0, 0))[1]
        > stall["gap"] * 500
    ]
    own = sorted(stall["gap"] * 1000 for stall in rec.stalls if stall not in machine)
    print(f"  of which the main thread waited for a core most of the time: {len(machine)}; "
          f"the others: {len(own)}, max {max(own, default=0):.1f} ms")  # fmt: skip
    for stall in sorted(rec.stalls, key=lambda st: -st["gap"])[: rec.show]:
        s, e = stall["start"], stall["end"]
        gcs = [g for g in rec.gcs if g[0] < e and g[0] + g[1] > s]
        threads = rec.threads_in(s, e)
        busy = ", ".join(
            f"{name} run {run:.1f} wait {wait:.1f}"
            for name, (run, wait) in sorted(threads.items(), key=lambda kv: -kv[1][0])
            if run >= 1 or wait >= 1
        )
        spans = [
            f"{name} {d * 1000:.1f}ms(cpu {c * 1000:.1f})"
            for name, items in rec.spans.items()
            for (t, d, c) in items
            if t < e and t + d > s
        ]
        samples = collections.Counter(st for t, st in rec.samples if s <= t <= e)
        print(f"- at {s - start:7.3f} s: {stall['gap'] * 1000:6.1f} ms | {busy}")
        for g in gcs:
            print(f"    gc gen {g[2]}: {g[1] * 1000:.1f} ms")
        for span in spans:
            print(f"    {span}")
        for stack, n in samples.most_common(3):
            print(f"    {n} x {stack}")
    assert rec.lag is not None
    bounds = [f"<={b * 1000:g}ms" for b in rec.lag.bounds] + ["more"]
    lag = ", ".join(f"{b} {n}" for b, n in zip(bounds, result["lag"], strict=True) if n)
    print(f"roomcast_event_loop_lag_seconds in the window (samples per bucket): {lag}")
    print("gc in window:")
    by_gen: dict[int, list[float]] = collections.defaultdict(list)
    for g in rec.gcs:
        by_gen[g[2]].append(g[1])
    for gen, pauses in sorted(by_gen.items()):
        print(f"  gen {gen}: {len(pauses)} collections, max {max(pauses) * 1000:.2f} ms, "
              f"total {sum(pauses) * 1000:.1f} ms")  # fmt: skip
    print("timers in window (count, max wall ms, max cpu ms, total wall ms):")
    for name, items in sorted(rec.spans.items()):
        walls, cpus = [d * 1000 for _, d, _ in items], [c * 1000 for _, _, c in items]
        print(f"  {name:22} {len(items):6} {max(walls):8.2f} {max(cpus):8.2f} {sum(walls):9.1f}")
    print(f"full collections before the window (wall ms, cpu ms): {result['full_gc_ms']}")
    automatic = [round(ms, 1) for ms in rec.full_outside]
    print(f"full collections outside the window (ms, with the 3 above): {automatic}")
    for name, values in rec.values.items():
        print(f"{name} returned: {values}")
    print(f"write-ahead log file: {result['wal_bytes']:,} bytes")
    print(f"objects tracked by gc at the end: {len(gc.get_objects())}, "
          f"frozen {gc.get_freeze_count()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (a fresh file) or memory://")
    parser.add_argument("--clients", type=int, default=1000, help="reading clients")
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--idle", type=int, default=0, help="idle clients, opened first")
    parser.add_argument("--rate", type=float, default=20, help="lines/s in all (0: none)")
    parser.add_argument("--senders", type=int, default=1, help="clients that send, round-robin")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--stall-ms", type=float, default=10)
    parser.add_argument("--drop", action="store_true", help="then every client leaves at once")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--loadgen-cpu", default="1")
    parser.add_argument("extra", nargs="*", help="more flags for roomcast serve (after --)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(args.server_cpu)})
    rec = Recorder(args.stall_ms)
    install(rec)
    from roomcast.ops import cli

    port = _free_port()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="roomcast-stalls-") as workdir:
        args.workdir = workdir
        db = f"{workdir}/roomcast.db" if args.db == "sqlite" else args.db
        argv = ["serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", workdir,
                "--db", db, *BENCH_FLAGS, *args.extra]  # fmt: skip

        def load() -> None:
            try:
                result.update(drive(args, port, rec))
            finally:
                os.kill(os.getpid(), 15)

        threading.Thread(target=load, name="stall-load", daemon=True).start()
        cli.main(argv)
    report(rec, result)


if __name__ == "__main__":
    main()
