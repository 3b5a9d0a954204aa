"""``python -m bench``: run the benchmark suite and write the results into the docs.

    python -m bench                    full run (about 35 minutes), 3 repeats, medians
    python -m bench --quick            smoke run, one repeat, short steps (a few minutes)
    python -m bench --only roomcast/fanout1000,bare/fanout1000
    python -m bench --only /idle       one scenario, every server
    python -m bench --only roomcast/storm,uws/storm --storm 2000/200
                                       the reconnect storm at a reduced size (clients/rooms)
    python -m bench --only roomcast/crash
                                       kill -9 while 10,000 clients send (--storm: the size)
    python -m bench --list             servers and scenarios
    python -m bench --only roomcast/rooms100x10 --at 80000,160000
                                       steps at fixed delivered rates only (CPU at equal load)
    python -m bench --only '*/search'  search over 1,000,000 lines, SQLite and PostgreSQL
                                       (only when named: bench/search.py; roomcast/search is
                                       SQLite alone, roomcast-redis1/search PostgreSQL alone)

Results go to ``bench/results/`` (JSON, every step); the tables and the plot go to
``docs/benchmarks.md`` and ``docs/benchmarks/`` unless ``--no-docs`` (a filtered run writes the
docs only with ``--docs``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import crash, install, report, scenarios, search, storm
from bench.servers import SERVERS

RESULTS_DIR = install.BENCH_DIR / "results"
DOCS_DIR = install.ROOT / "docs" / "benchmarks"
PROFILED = ("fanout1000", "rooms100x10")
PROFILE_FALLBACK = {"fanout1000": 150_000.0, "rooms100x10": 40_000.0}
# scenarios other than the fan-outs, and the servers each one makes sense for
ONLY_PRESENCE = {"joinstorm", "bigroom", "slow", "profile"}
# the reconnect storm: roomcast resuming, uWebSockets.js's plain reconnect beside it
STORM_SERVERS = {"roomcast", "uws"}


def parse_filters(raw: str | None) -> list[tuple[str, str]]:
    if not raw:
        return [("*", "*")]
    out = []
    for item in raw.split(","):
        server, _, scenario = item.strip().partition("/")
        out.append((server or "*", scenario or "*"))
    return out


def selected(filters: list[tuple[str, str]], server: str, scenario: str) -> bool:
    """Whether the filters ask for ``server`` in ``scenario``, and the server runs in it."""
    return SERVERS[server].runs(scenario) and any(
        s in ("*", server) and c in ("*", scenario) for s, c in filters
    )


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, 65536))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a few-minute smoke run")
    parser.add_argument("--only", help="comma-separated SERVER/SCENARIO filters (either may be *)")
    parser.add_argument("--repeats", type=int, help="repeats of each fan-out ramp (medians)")
    parser.add_argument("--max-minutes", type=float, help="skip what is left after this long")
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/")
    parser.add_argument("--docs", action="store_true", help="write docs even for a filtered run")
    parser.add_argument("--list", action="store_true", help="list servers and scenarios")
    parser.add_argument("--report", metavar="RESULTS_JSON", help="only rewrite the docs from a run")
    parser.add_argument(
        "--storm", metavar="CLIENTS/ROOMS", help="size of the reconnect storm (10000/1000)"
    )
    parser.add_argument(
        "--at", metavar="RATES", help="only steps at these delivered msgs/s (comma-separated)"
    )
    args = parser.parse_args(argv)
    fanouts = list(scenarios.FANOUTS)
    all_scenarios = [*fanouts, *scenarios.OTHER_SCENARIOS]
    if args.list:
        print("servers:  ", " ".join(SERVERS))
        print("scenarios:", " ".join(all_scenarios))
        return 0
    if args.report:
        report.write(
            json.loads(Path(args.report).read_text()),
            install.ROOT / "docs" / "benchmarks.md",
            DOCS_DIR,
        )
        print("bench: docs/benchmarks.md and docs/benchmarks/ rewritten", flush=True)
        return 0
    filters = parse_filters(args.only)
    raise_nofile()
    stores = [
        store
        for server, store in (("roomcast", "sqlite"), ("roomcast-redis1", "postgres"))
        if any(s in ("*", server) and c == "search" for s, c in filters)
    ]
    if stores:
        return search.run(stores)
    if args.at:
        return fixed_rates(filters, [float(r) for r in args.at.split(",")], args.quick)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    plan = scenarios.make_plan(args.quick, args.repeats, RESULTS_DIR / f"logs-{stamp}")
    if args.storm:
        clients, _, rooms = args.storm.partition("/")
        plan = dataclasses.replace(plan, storm_clients=int(clients), storm_rooms=int(rooms))
    budget = 60 * (args.max_minutes or (15 if args.quick else 33))
    started = time.monotonic()
    wanted = {s for s in SERVERS for c in all_scenarios if selected(filters, s, c)}
    install.ensure_all(wanted)
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    results: dict[str, Any] = {
        "started": stamp, "quick": args.quick, "repeats": plan.repeats,
        "plan": {k: v for k, v in vars(plan).items() if k != "log_dir"},
        "throughput": [], "idle": [], "churn": [], "joinstorm": [], "bigroom": [], "slow": [],
        "storm": [], "crash": [], "profile": [], "skipped": [], "errors": [],
    }  # fmt: skip

    def over_budget(what: str) -> bool:
        if time.monotonic() - started > budget:
            results["skipped"].append(what)
            print(f"bench: time budget spent, skipping {what}", flush=True)
            return True
        return False

    def attempt(what: str, fn: Any, *fn_args: Any) -> Any:
        print(f"bench: {what}", flush=True)
        try:
            return fn(*fn_args)
        except Exception as exc:
            traceback.print_exc()
            results["errors"].append(f"{what}: {exc}")
            return None

    def save() -> Path:
        results["elapsed_secs"] = round(time.monotonic() - started, 1)
        path = RESULTS_DIR / f"run-{stamp}.json"
        path.write_text(json.dumps(results, indent=1))
        (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=1))
        return path

    # Fan-out ramps: per repeat, every scenario, every server, side by side. The first repeat
    # comes before the other scenarios, so a spent time budget costs repeats, not scenarios.
    def fanout_repeat(repeat: int) -> None:
        for fan_name in fanouts:
            fan = scenarios.FANOUTS[fan_name]
            for name, spec in SERVERS.items():
                if not selected(filters, name, fan_name):
                    continue
                what = f"{name}/{fan_name} repeat {repeat + 1}"
                if over_budget(what):
                    continue
                earlier = [r for r in results["throughput"]
                           if r["server"] == name and r["scenario"] == fan_name]  # fmt: skip
                result = attempt(what, scenarios.throughput, spec, fan, plan, repeat, earlier)
                if result is not None:
                    results["throughput"].append(result)
                save()

    fanout_repeat(0)
    for key, fn in (("idle", scenarios.idle), ("churn", scenarios.churn),
                    ("joinstorm", scenarios.joinstorm), ("bigroom", scenarios.bigroom),
                    ("slow", scenarios.slow), ("storm", storm.scenario),
                    ("crash", crash.scenario)):  # fmt: skip
        for name, spec in SERVERS.items():
            if not selected(filters, name, key):
                continue
            if key in ONLY_PRESENCE and not spec.presence:
                continue
            if key in ("slow", "bigroom", "crash") and name != "roomcast":
                continue
            if key == "storm" and name not in STORM_SERVERS:
                continue
            if over_budget(f"{name}/{key}"):
                continue
            result = attempt(f"{name}/{key}", fn, spec, plan)
            if result is not None:
                results[key].append(result)
            save()
    if selected(filters, "roomcast", "profile"):
        spec = SERVERS["roomcast"]
        for fan_name in PROFILED:
            if over_budget(f"roomcast/profile {fan_name}"):
                continue
            bests = [
                r["best"]["offered"]
                for r in results["throughput"]
                if r["server"] == "roomcast" and r["scenario"] == fan_name and r.get("best")
            ]
            rate = 0.9 * sorted(bests)[len(bests) // 2] if bests else PROFILE_FALLBACK[fan_name]
            fan = scenarios.FANOUTS[fan_name]
            result = attempt(f"roomcast/profile {fan_name}", scenarios.profile, spec, fan, rate,
                             plan, DOCS_DIR)  # fmt: skip
            if result is not None:
                results["profile"].append(result)
            save()
    for repeat in range(1, plan.repeats):
        fanout_repeat(repeat)
    path = save()
    print(f"bench: results in {path.relative_to(install.ROOT)}", flush=True)
    write_docs = not args.no_docs and (args.only is None or args.docs)
    if write_docs:
        report.write(results, install.ROOT / "docs" / "benchmarks.md", DOCS_DIR)
        print("bench: docs/benchmarks.md and docs/benchmarks/ updated", flush=True)
    else:
        print(report.tables(results))
    return 1 if results["errors"] else 0


def fixed_rates(filters: list[tuple[str, str]], rates: list[float], quick: bool) -> int:
    """``--at``: every selected server in every selected fan-out, at each rate; nothing saved."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    plan = scenarios.make_plan(quick, 1, RESULTS_DIR / f"logs-{stamp}")
    chosen = [(name, fan) for fan in scenarios.FANOUTS for name in SERVERS
              if selected(filters, name, fan)]  # fmt: skip
    install.ensure_all({name for name, _ in chosen})
    for name, fan in chosen:
        print(f"bench: {name}/{fan} at {rates}", flush=True)
        scenarios.fixed_rates(SERVERS[name], scenarios.FANOUTS[fan], plan, rates)
    return 0


if __name__ == "__main__":
    sys.exit(main())
