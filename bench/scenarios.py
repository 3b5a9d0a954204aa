"""The scenarios: stepped fan-out load, idle memory, churn, join storms, slow consumers, profile.

Every scenario starts its own server process (pinned with `taskset`) and its own generator
(pinned to core 1), so no run inherits another's state. Every loop is bounded by a step
count and every generator command by a timeout.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench import install, lag
from bench.driver import Loadgen
from bench.servers import (
    GENERATOR_CPU,
    RunningServer,
    ServerSpec,
    run_queue_wait,
    start_server,
)

P99_LIMIT_MS: Final = 100.0
MIN_DELIVERY: Final = 0.999
MAX_RATE: Final = 5_000_000.0  # delivered msgs/s: no ramp goes past this
# A failed step is run again (at most twice) when the server or the generator spent more than
# this share of the step waiting for its core: other work on the machine, not the server's limit.
DISTURBED: Final = 0.10
RETRIES: Final = 2


@dataclass(frozen=True)
class Plan:
    """How long and how finely to measure: ``--quick`` or the full run."""

    quick: bool
    repeats: int
    warm: float
    measure: float
    drain: float
    factor: float  # first repeat: multiply the rate by this until a step fails
    factor_again: float  # later repeats start at half the best so far, with this factor
    refine: int  # bisection steps between the last pass and the first failure
    max_steps: int
    idle_conns: int
    churn_secs: float
    churn_conc: int
    profile_secs: float
    log_dir: Path
    storm_clients: int = 10_000  # the reconnect storm (bench/storm.py): clients, rooms
    storm_rooms: int = 1_000


def make_plan(quick: bool, repeats: int | None, log_dir: Path) -> Plan:
    if quick:
        return Plan(True, repeats or 1, 0.3, 1.0, 1.0, 2.0, 1.41, 1, 14, 10_000, 3.0, 50, 5.0,
                    log_dir)  # fmt: skip
    return Plan(False, repeats or 3, 0.5, 1.5, 1.0, 2.0, 1.3, 2, 16, 10_000, 3.0, 50, 8.0,
                log_dir)  # fmt: skip


@dataclass(frozen=True)
class Fanout:
    name: str
    title: str
    clients: int
    rooms: int
    senders: int  # 0: every client sends
    start: float  # delivered msgs/s of the first step for the fast servers

    @property
    def room_size(self) -> int:
        return self.clients // self.rooms


FANOUTS: Final = {
    f.name: f
    for f in (
        Fanout("fanout100", "1 room x 100 clients, 1 sender", 100, 1, 1, 5_000),
        Fanout("fanout1000", "1 room x 1,000 clients, 1 sender", 1000, 1, 1, 5_000),
        Fanout("rooms100x10", "100 rooms x 10 clients, all send", 1000, 100, 0, 2_500),
    )
}
OTHER_SCENARIOS: Final = (
    "idle", "churn", "joinstorm", "bigroom", "slow", "storm", "crash", "profile"
)  # fmt: skip


def passes(step: dict[str, Any]) -> bool:
    """Delivery >= 99.9 %, p99 <= 100 ms, and the generator sent what it offered."""
    wanted = step["rate"] * step["measure_secs"]
    return bool(
        step["expected"] > 0
        and step["delivery"] >= MIN_DELIVERY
        and 0 <= step["p99"] <= P99_LIMIT_MS
        and step["dropped"] == 0
        and step["sent_measure"] >= 0.97 * wanted - 1
    )


@contextlib.contextmanager
def serving(
    spec: ServerSpec,
    plan: Plan,
    *,
    server_extra: tuple[str, ...] = (),
    loadgen_extra: list[str] | None = None,
) -> Iterator[tuple[RunningServer, Loadgen]]:
    """A fresh server and a generator attached to it; both stopped when the block ends."""
    server = start_server(spec, plan.log_dir, extra=server_extra)
    lg = Loadgen(server, extra=loadgen_extra)
    try:
        yield server, lg
    finally:
        lg.close()
        server.stop()


def run_step(
    lg: Loadgen, server: RunningServer, fan: Fanout, delivered: float, plan: Plan
) -> dict[str, Any]:
    """One step at ``delivered`` msgs/s (the send rate times the room size)."""
    send_rate = delivered / fan.room_size
    # at low rates measure long enough to see at least ~10 messages, within 5 s
    measure = max(plan.measure, min(5.0, 10.0 / send_rate))
    watch_lag = server.spec.name.startswith("roomcast") and not server.spec.workers
    lag_before = lag.scrape(server.port) if watch_lag else None
    server.mark()
    t0, sw0, gw0 = time.monotonic(), server.run_queue_wait(), run_queue_wait(lg.pid)
    step = lg.command(
        f"step {send_rate:.3f} {plan.warm} {measure} {plan.drain} {fan.senders}",
        timeout=plan.warm + measure + plan.drain + 30,
    )
    elapsed = time.monotonic() - t0
    step.update({key: round(cores, 3) for key, cores in server.cpus_since_mark().items()})
    if watch_lag:
        step.update(lag.between(lag_before, lag.scrape(server.port)))
    step["server_wait"] = round((server.run_queue_wait() - sw0) / elapsed, 3)
    step["gen_wait"] = round((run_queue_wait(lg.pid) - gw0) / elapsed, 3)
    step["offered"] = delivered
    step["ok"] = passes(step)
    services = (
        f"redis {step['redis_cpu']:.2f} pg {step['postgres_cpu']:.2f} "
        f"machine {step['machine_cpu']:.2f} "
        if server.spec.workers
        else ""
    )
    print(
        f"bench:   {server.spec.name:15} {fan.name:12} offered {delivered:>10,.0f}/s "
        f"delivered {step['delivered_per_sec']:>10,.0f}/s p50 {step['p50']:7.2f} "
        f"p99 {step['p99']:8.2f} max {step['max']:8.2f} ms loss {1 - step['delivery']:.4f} "
        f"cpu srv {step['server_cpu']:.2f} gen {step['gen_cpu']:.2f} {services}"
        f"wait {step['server_wait']:.2f}/{step['gen_wait']:.2f} "
        + (f"lag>50ms {step['lag_over_50ms']} " if "lag_over_50ms" in step else "")
        + ("ok" if step["ok"] else "FAIL"),
        flush=True,
    )
    return step


def disturbed(step: dict[str, Any]) -> bool:
    return bool(max(step.get("server_wait", 0.0), step.get("gen_wait", 0.0)) > DISTURBED)


def checked_step(
    lg: Loadgen,
    server: RunningServer,
    fan: Fanout,
    delivered: float,
    plan: Plan,
    steps: list[dict[str, Any]],
) -> dict[str, Any]:
    """A step; a failure while other work held the cores is retried (bounded) after a pause.

    Not for a server that shares the generator's core: its own processes are that other work.
    """
    step = run_step(lg, server, fan, delivered, plan)
    steps.append(step)
    for _ in range(0 if server.spec.shares_generator_core else RETRIES):
        if step["ok"] or not disturbed(step) or not _recovered(lg, fan):
            break
        step["retried"] = True
        print("bench:   (step disturbed by other work on the machine: again)", flush=True)
        step = run_step(lg, server, fan, delivered, plan)
        steps.append(step)
    return step


def ramp(
    spec: ServerSpec, fan: Fanout, plan: Plan, start: float, factor: float, refine: int
) -> dict[str, Any]:
    """Step the offered load up until a step fails, then bisect; finally measure at half."""
    result: dict[str, Any] = {"server": spec.name, "scenario": fan.name, "steps": []}
    with serving(spec, plan) as (server, lg):
        opened = lg.command(f"open {fan.clients} {fan.rooms} read 60", timeout=90)
        result["open"] = opened
        if opened["ready"] < fan.clients:
            result["error"] = f"only {opened['ready']} of {fan.clients} clients connected"
            return result
        steps: list[dict[str, Any]] = result["steps"]
        best: dict[str, Any] | None = None
        fail: dict[str, Any] | None = None
        rate = start
        for _ in range(plan.max_steps):
            if rate > MAX_RATE or not server.alive():
                break
            step = checked_step(lg, server, fan, rate, plan, steps)
            if not step["ok"]:
                fail = step
                break
            best = step
            rate *= factor
        # A later repeat starts at half the best so far; when even that fails, step down.
        for _ in range(4):
            if best is not None or fail is None or fail["offered"] / 2 < fan.room_size:
                break  # below one line a second there is nothing left to find
            if not _recovered(lg, fan):
                break
            step = checked_step(lg, server, fan, fail["offered"] / 2, plan, steps)
            if step["ok"]:
                best = step
            else:
                fail = step
        for _ in range(refine):
            if best is None or fail is None or not _recovered(lg, fan):
                break
            mid = math.sqrt(best["offered"] * fail["offered"])
            step = checked_step(lg, server, fan, mid, plan, steps)
            if step["ok"]:
                best = step
            else:
                fail = step
        result["best"] = best
        if best is not None and _recovered(lg, fan):
            half = checked_step(lg, server, fan, best["offered"] / 2, plan, steps)
            half["half"] = True
            result["half"] = half
        result["rss_mib"] = round(server.rss_bytes() / 2**20, 1)
        return result


def fixed_rates(
    spec: ServerSpec, fan: Fanout, plan: Plan, rates: list[float], repeats: int = 2
) -> list[dict[str, Any]]:
    """Steps at the given delivered rates, each ``repeats`` times: CPU and latency at equal load.

    For comparing two versions of a server side by side, where a ramp's coarse grid of rates
    would hide a difference in cost.
    """
    steps: list[dict[str, Any]] = []
    with serving(spec, plan) as (server, lg):
        lg.command(f"open {fan.clients} {fan.rooms} read 60", timeout=90)
        for rate in rates:
            for _ in range(repeats):
                steps.append(run_step(lg, server, fan, rate, plan))
                if not _recovered(lg, fan):
                    return steps
        return steps


def _recovered(lg: Loadgen, fan: Fanout) -> bool:
    """Wait for an overloaded server to drain; False when it dropped some of our clients."""
    quiet = lg.command("quiet 5", timeout=12)
    return int(quiet["open_readers"]) >= fan.clients


def throughput(
    spec: ServerSpec, fan: Fanout, plan: Plan, repeat: int, earlier: list[dict[str, Any]]
) -> dict[str, Any]:
    """One repeat of the ramp. Later repeats start at half the best seen so far."""
    start = fan.start if spec.fast else float(fan.room_size if fan.rooms == 1 else 200)
    factor, refine = plan.factor, plan.refine
    bests = [r["best"]["offered"] for r in earlier if r.get("best")]
    if repeat > 0 and bests:
        start = max(start, statistics.median(bests) / 2)
        factor, refine = plan.factor_again, 1
    result = ramp(spec, fan, plan, start, factor, refine)
    result["repeat"] = repeat
    return result


def idle(spec: ServerSpec, plan: Plan) -> dict[str, Any]:
    """RSS growth per open, idle connection at ``plan.idle_conns`` connections (10 per room)."""
    n = plan.idle_conns
    with serving(spec, plan) as (server, lg):
        time.sleep(1.0)
        base = server.rss_bytes()
        opened = lg.command(f"open {n} {max(1, n // 10)} idle 45", timeout=75)
        lg.command("wait 2", timeout=10)
        after = server.rss_bytes()
        ready = int(opened["ready"])
        result = {
            "server": spec.name,
            "conns": n,
            "ready": ready,
            "failed": opened["failed"],
            "open_secs": opened["secs"],
            "connects_per_sec": round(ready / opened["secs"], 1) if opened["secs"] else None,
            "rss_base_mib": round(base / 2**20, 1),
            "rss_after_mib": round(after / 2**20, 1),
            "kib_per_conn": round((after - base) / 1024 / ready, 2) if ready else None,
        }
        print(f"bench:   {spec.name:13} idle: {result}", flush=True)
        return result


def churn(spec: ServerSpec, plan: Plan) -> dict[str, Any]:
    """Connect, send one line, see it come back, close: completed cycles per second."""
    with serving(spec, plan) as (server, lg):
        server.mark()
        result = lg.command(f"churn {plan.churn_conc} {plan.churn_secs}", plan.churn_secs + 20)
        result["server_cpu"] = round(server.cpu_since_mark(), 3)
        result["server"] = spec.name
        print(f"bench:   {spec.name:13} churn: {result}", flush=True)
        return result


def joinstorm(spec: ServerSpec, plan: Plan, n: int = 1000) -> dict[str, Any]:
    """``n`` clients join one room at once: presence frames and bytes all clients received.

    roomcast is measured with both user-list forms: ``full`` (the default: whole ``userlist``
    frames, coalesced per room) and the opt-in ``diff`` (``?userlist=diff``: one ``userlist`` on
    joining, then ``Presence`` frames naming who joined and who left).
    """
    result: dict[str, Any] = {"server": spec.name, "clients": n, "naive_frames": n * (n + 1) // 2}
    for form in ("full", "diff"):
        extra = ["--path", spec.path + "&userlist=diff"] if form == "diff" else []
        with serving(spec, plan, loadgen_extra=extra) as (_, lg):
            opened = lg.command(f"open {n} 1 read 60", timeout=90)
            lg.command("wait 1.5", timeout=10)
            read = lg.command("stats", timeout=10)["kinds"]["read"]
            frames = read["userlist_frames"] + read["presence_frames"]
            result[form] = {
                "ready": opened["ready"],
                "join_secs": opened["secs"],
                "userlist_frames": read["userlist_frames"],
                "userlist_bytes": read["userlist_bytes"],
                "presence_frames": read["presence_frames"],
                "presence_bytes": read["presence_bytes"],
                "frames_per_client": round(frames / max(1, opened["ready"]), 2),
                "bytes": read["userlist_bytes"] + read["presence_bytes"],
            }
            print(f"bench:   {spec.name:13} join storm ({form}): {result[form]}", flush=True)
    return result


# The big room's (userlist_max, user-list form) cases: cut at the default 500 names in both
# forms, and whole lists (userlist_max above the room's size: roomcast before big rooms) in the
# diff form. Whole lists in the full form cost O(n^2) bytes a flush: the 1,000-client join
# storm shows that case.
BIGROOM_CASES: Final = (("cut", "full"), ("cut", "diff"), ("whole", "diff"))
BIGROOM_SETTLE: Final = 2.5  # a big room's lists are coalesced over at most 2 s


def bigroom(
    spec: ServerSpec,
    plan: Plan,
    n: int = 10_000,
    cases: tuple[tuple[str, str], ...] = BIGROOM_CASES,
) -> dict[str, Any]:
    """``n`` clients join one room at once, then one more: the time until all joined, and the
    user-list bytes each member received for the storm and for that one join.

    The last join is made by a client of another kind (idle), so the readers' counters hold
    only what the others received because of it: O(1) bytes in a cut room's diff form, at most
    ``userlist_max`` names in its full form, the whole list with whole lists.
    """
    result: dict[str, Any] = {"server": spec.name, "clients": n, "cases": []}
    for lists, form in cases:
        server_extra = ("--userlist-max", str(n + 1)) if lists == "whole" else ()
        loadgen_extra = ["--path", spec.path + "&userlist=diff"] if form == "diff" else []
        running = serving(spec, plan, server_extra=server_extra, loadgen_extra=loadgen_extra)
        with running as (server, lg):
            server.mark()
            t0 = time.monotonic()
            opened = lg.command(f"open {n} 1 read 120", timeout=150)
            lg.command(f"wait {BIGROOM_SETTLE}", timeout=10)
            storm = lg.command("stats", timeout=10)["kinds"]["read"]
            storm_cpu = server.cpu_since_mark() * (time.monotonic() - t0)
            lg.command("reset", timeout=10)
            lg.command("open 1 1 idle 30", timeout=40)
            lg.command(f"wait {BIGROOM_SETTLE}", timeout=10)
            one = lg.command("stats", timeout=10)["kinds"]["read"]
            ready = max(1, int(opened["ready"]))
            case = {
                "lists": lists,
                "form": form,
                "ready": opened["ready"],
                "join_secs": opened["secs"],
                "server_cpu_secs": round(storm_cpu, 2),
                "storm_bytes_per_member": round(_list_bytes(storm) / ready),
                "join_bytes_per_member": round(_list_bytes(one) / ready, 1),
                "join_frames_per_member": round(
                    (one["userlist_frames"] + one["presence_frames"]) / ready, 2
                ),
                "rss_mib": round(server.rss_bytes() / 2**20, 1),
            }
            result["cases"].append(case)
            print(f"bench:   {spec.name:13} big room ({lists}, {form}): {case}", flush=True)
    return result


def _list_bytes(read: dict[str, Any]) -> int:
    return int(read["userlist_bytes"]) + int(read["presence_bytes"])


SLOW_HIGH_WATER: Final = 256 * 1024
SLOW_SECS: Final = 3.0  # the readers' measured window beside the non-readers


def slow(
    spec: ServerSpec, plan: Plan, readers: int = 100, slow_clients: int = 200
) -> dict[str, Any]:
    """Readers' latency alone, then beside ``slow_clients`` that never read; who got dropped."""
    fan = Fanout("slow", "slow consumers", readers, 1, 1, 0)
    send_rate = 250.0
    # 3 KB lines (4 KB frames, 1 MB/s to each member): a non-reader fills the kernel's send
    # buffer (128 KiB, set by roomcast) and then the server's high-water mark in under a second
    with serving(
        spec,
        plan,
        server_extra=("--write-buffer-high-water", str(SLOW_HIGH_WATER)),
        loadgen_extra=["--slow-rcvbuf", "4096", "--msg-len", "3000"],
    ) as (server, lg):
        lg.command(f"open {readers} 1 read 60", timeout=90)
        alone = run_step(lg, server, fan, send_rate * readers, plan)
        lg.command(f"open {slow_clients} 1 slow 60", timeout=90)
        server.mark()
        # The non-readers fill their socket buffers and pass the mark during this step, which
        # ends before the server cuts the first of them (5 s after its close frame), so they
        # can still read their close frames afterwards.
        mixed = lg.command(f"step {send_rate} 0.3 {SLOW_SECS} 0.5 1", timeout=40)
        mixed["server_cpu"] = round(server.cpu_since_mark(), 3)
        mixed["ok"] = passes(mixed)
        # read what the evicted got (the server cuts them 5 s after the close frame)
        lg.command("resume", timeout=5)
        lg.command("quiet 8", timeout=15)
        stats = lg.command("stats", timeout=10)
        after = run_step(lg, server, fan, send_rate * readers, plan)
        result = {
            "server": spec.name,
            "readers": readers,
            "slow_clients": slow_clients,
            "send_rate": send_rate,
            "high_water": SLOW_HIGH_WATER,
            "beside_secs": SLOW_SECS,
            "alone": alone,
            "with_slow": mixed,
            "after": after,
            "slow_stats": stats["kinds"]["slow"],
            "read_stats": stats["kinds"]["read"],
        }
        print(
            f"bench:   {spec.name:13} slow consumers: alone p99 {alone['p99']} ms, "
            f"beside slow p99 {mixed['p99']} ms delivery {mixed['delivery']}, "
            f"slow closes {stats['kinds']['slow']['close_codes']}",
            flush=True,
        )
        return result


def profile(
    spec: ServerSpec, fan: Fanout, delivered: float, plan: Plan, out_dir: Path
) -> dict[str, Any]:
    """py-spy (sampling, non-blocking, pinned to the generator core) under a steady load."""
    py_spy = install.PEERS_DIR / "tools" / "bin" / "py-spy"
    raw = out_dir / f"profile-{spec.name}-{fan.name}.txt"
    with serving(spec, plan) as (server, lg):
        lg.command(f"open {fan.clients} {fan.rooms} read 60", timeout=90)
        secs = plan.profile_secs
        spy = subprocess.Popen(
            ["taskset", "-c", GENERATOR_CPU, str(py_spy), "record", "--pid", str(server.pid),
             "--rate", "250", "--duration", str(int(secs)), "--nonblocking", "--format", "raw",
             "--output", str(raw)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        send_rate = delivered / fan.room_size
        server.mark()
        step = lg.command(f"step {send_rate:.3f} 0.2 {secs + 1} 1.0 {fan.senders}", secs + 30)
        step["server_cpu"] = round(server.cpu_since_mark(), 3)
        _, err = spy.communicate(timeout=30)
        if spy.returncode != 0 or not raw.exists():
            return {"error": f"py-spy failed: {err.decode(errors='replace')[-500:]}"}
        summary = summarize_profile(raw.read_text())
        summary.update(server=spec.name, scenario=fan.name, offered=delivered, step=step,
                       raw=str(raw.relative_to(install.ROOT)))  # fmt: skip
        print(f"bench:   profile {spec.name} {fan.name}: {summary['total']} samples", flush=True)
        return summary


def _frame_name(frame: str) -> str:
    """``func (path/to/module.py:123)`` -> ``module.py:func`` with the package folder kept."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    parts = path.split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    if "roomcast/" in path:
        return "roomcast/" + path.rsplit("roomcast/", 1)[1] + ":" + name
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            short = path.split(marker, 1)[1]
            if marker == "lib/python3":
                short = "stdlib:" + short.split("/", 1)[-1]
            break
    return f"{short}:{name}"


def _area(name: str) -> str:
    if name.startswith("roomcast/"):
        return name.split(":", 1)[0]
    if name.startswith("stdlib:"):
        return "stdlib " + name.split(":")[1].split("/")[0]
    return name.split("/", 1)[0]


def summarize_profile(raw: str, top: int = 15) -> dict[str, Any]:
    """Self and inclusive sample shares per function, and self time per module, from raw stacks."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        self_time[frames[-1]] += count
        areas[_area(frames[-1])] += count
        for name in set(frames):
            inclusive[name] += count

    def share(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common(n)] if total else []

    return {
        "total": total,
        "self": share(self_time, top),
        "inclusive": share(
            Counter(
                {
                    k: v
                    for k, v in inclusive.items()
                    if ("roomcast/" in k or "aiohttp/" in k)
                    and not k.startswith(("roomcast/cli.py", "roomcast/__main__.py"))
                }
            ),
            top,
        ),
        "areas": share(areas, 12),
    }
