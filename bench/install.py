"""First-run setup: peer servers in their own venvs or node_modules, the tools venv, the generator.

Everything lands in ``bench/.peers/`` (git-ignored), so the project's own venv stays clean. Each
step is skipped when its marker file exists; delete ``bench/.peers/`` to start again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

BENCH_DIR: Final = Path(__file__).resolve().parent
ROOT: Final = BENCH_DIR.parent
PEERS_DIR: Final = BENCH_DIR / ".peers"
LOADGEN_SRC: Final = BENCH_DIR / "loadgen" / "loadgen.c"
LOADGEN_BIN: Final = PEERS_DIR / "loadgen"

# Python peers: venv name -> packages, pinned by major version so a re-run measures the same kind.
PY_VENVS: Final[dict[str, list[str]]] = {
    "websockets": ["websockets>=15,<18", "uvloop>=0.21"],
    "socketio": ["python-socketio>=5.11,<6", "uvicorn[standard]>=0.30"],
    "channels": ["channels>=4.1,<5", "django>=5,<6", "uvicorn[standard]>=0.30"],
    "tools": ["matplotlib>=3.8", "py-spy>=0.3.14"],
}
# Node peers: server name -> directory under bench/peers/ (server.js) and bench/.peers/ (modules).
# A peer with a package.json there is installed from it; the others get NODE_PACKAGES.
NODE_PEERS: Final = {"node-ws": "node_ws", "uws": "node_uws"}
NODE_PACKAGES: Final = ["ws@8"]
_INSTALL_TIMEOUT: Final = 900


def venv_python(name: str) -> Path:
    return PEERS_DIR / name / "bin" / "python"


def node_dir(server: str) -> Path:
    return PEERS_DIR / NODE_PEERS[server]


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    print("bench: $", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, cwd=cwd, timeout=_INSTALL_TIMEOUT)


def ensure_venv(name: str) -> Path:
    """Create ``bench/.peers/NAME`` with its packages unless it is already complete."""
    marker = PEERS_DIR / name / ".installed"
    packages = PY_VENVS[name]
    wanted = "\n".join(packages)
    if marker.exists() and marker.read_text() == wanted:
        return venv_python(name)
    shutil.rmtree(PEERS_DIR / name, ignore_errors=True)
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", str(PEERS_DIR / name)])
    _run([str(venv_python(name)), "-m", "pip", "install", "-q", *packages])
    marker.write_text(wanted)
    return venv_python(name)


def ensure_node(server: str) -> Path:
    """``npm install`` a Node peer into ``bench/.peers/DIR``; returns its server script."""
    source = BENCH_DIR / "peers" / NODE_PEERS[server]
    manifest = source / "package.json"
    target = node_dir(server)
    marker = target / ".installed"
    wanted = manifest.read_text() if manifest.exists() else "\n".join(NODE_PACKAGES)
    if not marker.exists() or marker.read_text() != wanted:
        if shutil.which("npm") is None:
            raise RuntimeError(f"npm is not installed: the Node peer {server} cannot be set up")
        target.mkdir(parents=True, exist_ok=True)
        packages = NODE_PACKAGES
        if manifest.exists():
            shutil.copyfile(manifest, target / "package.json")
            packages = []  # npm installs what the copied package.json pins
        _run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(target),
                *packages,
            ]
        )
        marker.write_text(wanted)
    return source / "server.js"


def ensure_loadgen() -> Path:
    """Compile the C load generator with ``cc -O2`` when the source is newer than the binary."""
    if LOADGEN_BIN.exists() and LOADGEN_BIN.stat().st_mtime >= LOADGEN_SRC.stat().st_mtime:
        return LOADGEN_BIN
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc) found: the load generator needs one")
    _run([cc, "-O2", "-Wall", "-Wextra", "-o", str(LOADGEN_BIN), str(LOADGEN_SRC), "-lm"])
    return LOADGEN_BIN


def ensure_all(servers: set[str]) -> None:
    """Install what the selected servers (and the reports) need."""
    ensure_loadgen()
    ensure_venv("tools")
    for name in ("websockets", "socketio", "channels"):
        if name in servers:
            ensure_venv(name)
    for name in NODE_PEERS:
        if name in servers:
            ensure_node(name)


if __name__ == "__main__":
    ensure_all({"websockets", "socketio", "channels", *NODE_PEERS})
