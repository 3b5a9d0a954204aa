"""Server CPU per connect: upgrade, Status and Joined, the client live in its room.

Run: PYTHONPATH=$PWD/src .venv/bin/python -m bench.micro.connect_cost [N] [SERVER ...]
Starts each named bench server (default: roomcast roomcast-mem) as ``python -m bench`` does,
opens N clients (default 5,000; 10 per room, each with its own nickname) with the C load
generator and reports the server's CPU seconds (utime + stime of its processes, from /proc)
per connect, which a shared, noisy machine does not distort as much as connects per second.
Servers named twice run twice, interleaved, for an A/B in one session (the server runs the
roomcast that PYTHONPATH finds: another checkout's src for the other side). With ``--profile
DIR`` py-spy (from bench/.peers/tools) samples the thread of each server that holds the GIL
while it admits the clients, into DIR/NAME-I.txt: collapsed stacks (flamegraph.pl, speedscope).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import install
from bench.driver import Loadgen
from bench.servers import SERVERS, cpu_seconds, start_server


def measure(name: str, count: int, profile: Path | None) -> str:
    """One fresh server, ``count`` connects: CPU microseconds per connect and connects/s;
    ``profile``: where py-spy writes its samples of the server meanwhile, if anywhere."""
    with tempfile.TemporaryDirectory() as logs:
        server = start_server(SERVERS[name], Path(logs))
        lg = Loadgen(server)
        try:
            lg.command("wait 1", timeout=10)
            spy = None
            if profile is not None:
                spy = subprocess.Popen(
                    [str(install.PEERS_DIR / "tools" / "bin" / "py-spy"), "record",
                     "--pid", str(server.pid), "--rate", "500", "--format", "raw", "--gil",
                     "--output", str(profile), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                )  # fmt: skip
                lg.command("wait 1", timeout=10)  # py-spy attaches
            before = cpu_seconds(server)
            opened = lg.command(f"open {count} {max(1, count // 10)} idle 60", timeout=90)
            lg.command("wait 1", timeout=10)  # deferred work after Joined counts too
            after = cpu_seconds(server)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=30)
        finally:
            lg.close()
            server.stop()
    ready = max(1, int(opened["ready"]))
    user, system, switches = (a - b for a, b in zip(after, before, strict=True))
    rate = ready / opened["secs"] if opened["secs"] else float("nan")
    return (
        f"{name:14} {opened['ready']}/{count} ready, failed {opened['failed']}:"
        f" {(user + system) / ready * 1e6:6.1f} us CPU per connect (user"
        f" {user / ready * 1e6:.0f}, system {system / ready * 1e6:.0f}),"
        f" {switches / ready:.1f} context switches per connect, {rate:7.0f} connects/s"
    )


def main() -> None:
    args = sys.argv[1:]
    profiles = None
    if "--profile" in args:
        at = args.index("--profile")
        profiles = Path(args[at + 1])
        profiles.mkdir(parents=True, exist_ok=True)
        del args[at : at + 2]
    count = int(args[0]) if args else 5000
    names = args[1:] or ["roomcast", "roomcast-mem"]
    for i, name in enumerate(names):
        profile = profiles / f"{name}-{i}.txt" if profiles is not None else None
        print(measure(name, count, profile), flush=True)


if __name__ == "__main__":
    main()
