"""The address file: where the server running from a data directory listens.

``roomcast serve`` writes ``DATA_DIR/server.json`` (``{"url": ..., "pid": ...}``) once it has
bound its port, the port the kernel gave it when ``--port 0``, and removes it when it stops.
``roomcast broadcast`` reads it, so it reaches the running server without being told its port.
A file left by a killed server names a process that no longer runs and is ignored.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from roomcast.ops.config import Settings


def path(settings: Settings) -> Path:
    """The address file of the data directory of ``settings``."""
    return Path(settings.data_dir) / "server.json"


def local_url(host: str, port: int, *, tls: bool) -> str:
    """The base URL by which a command on this machine reaches a server bound to host:port."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


def write(settings: Settings, bound: socket.socket, *, tls: bool) -> None:
    """Record the address of the listening socket ``bound`` for this process."""
    host, port = bound.getsockname()[:2]
    target = path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".server.json.{os.getpid()}")
    scratch.write_text(json.dumps({"url": local_url(host, port, tls=tls), "pid": os.getpid()}))
    scratch.replace(target)  # atomic: a reader sees the old file or the new one


def remove(settings: Settings) -> None:
    """Remove the address file if this process wrote it (another worker may have since)."""
    target = path(settings)
    try:
        if json.loads(target.read_text()).get("pid") == os.getpid():
            target.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def read(settings: Settings) -> str | None:
    """The URL of the server running from this data directory, or None when none runs."""
    try:
        recorded = json.loads(path(settings).read_text())
        url, pid = recorded["url"], recorded["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(url, str) or not isinstance(pid, int) or not _running(pid):
        return None
    return url


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True
