"""The address file: serve records where it listens, broadcast reads it, a dead writer's
record is ignored, and flags win over it."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from roomcast.ops import address
from roomcast.ops.broadcast import base_url
from roomcast.ops.config import Settings


def _args(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**{"url": None, "host": None, "port": None, **given})


def test_written_read_and_removed_by_its_writer(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    with socket.create_server(("127.0.0.1", 0)) as bound:
        port = bound.getsockname()[1]
        address.write(settings, bound, tls=False)
    assert address.read(settings) == f"http://127.0.0.1:{port}"
    assert json.loads(address.path(settings).read_text())["pid"] == os.getpid()
    assert base_url(settings, _args()) == (f"http://127.0.0.1:{port}", str(address.path(settings)))
    # Flags win over the file: the user asked for that server.
    assert base_url(settings, _args(port=9)) == ("http://127.0.0.1:8000", "host and port settings")
    assert base_url(settings, _args(url="http://x:1/")) == ("http://x:1", "--url")
    address.remove(settings)
    assert not address.path(settings).exists()
    assert address.read(settings) is None


def test_a_record_of_a_process_that_is_gone_is_ignored(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    record = {"url": "http://127.0.0.1:1234", "pid": int(gone.stdout)}
    address.path(settings).write_text(json.dumps(record))
    assert address.read(settings) is None
    address.remove(settings)  # not this process's: left alone
    assert address.path(settings).exists()
    for junk in ("", "[]", '{"url": 5, "pid": 1}', "{"):
        address.path(settings).write_text(junk)
        assert address.read(settings) is None


def test_local_url_of_any_bound_address() -> None:
    assert address.local_url("0.0.0.0", 80, tls=False) == "http://127.0.0.1:80"
    assert address.local_url("::", 80, tls=True) == "https://127.0.0.1:80"
    assert address.local_url("::1", 8443, tls=True) == "https://[::1]:8443"
    assert address.local_url("example.org", 8000, tls=False) == "http://example.org:8000"
