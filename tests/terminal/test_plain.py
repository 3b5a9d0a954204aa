"""``roomcast chat --plain`` and ``--json`` through real pipes against a real server, and the
full mode's message when Textual is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ServerProcess, free_port

SRC = str(Path(__file__).resolve().parents[2] / "src")


def chat(
    *args: str, stdin: str = "", python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    command = [sys.executable, *python] if python else [sys.executable, "-m", "roomcast"]
    return subprocess.run(
        [*command, "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_plain_sends_each_line_and_prints_the_live_ones(server: ServerProcess) -> None:
    done = chat(
        server.http_url, "--plain", "--room", "pipes", "--nick", "piper", stdin="one\n\ntwo\n"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["pipes piper: one", "pipes piper: two"]
    assert all(line[4] == "-" and line.split(" ")[0].endswith("Z") for line in lines)
    again = chat(server.http_url, "--json", "--room", "pipes", "--nick", "piper", stdin="three\n")
    assert again.returncode == 0, again.stderr
    objects: list[dict[str, Any]] = [json.loads(line) for line in again.stdout.splitlines()]
    assert [(o["room"], o["author"], o["text"]) for o in objects] == [("pipes", "piper", "three")]
    assert set(objects[0]) == {"time", "room", "id", "author", "text"}


def test_a_refused_line_exits_non_zero_with_its_code(server_factory: Any) -> None:
    server = server_factory("--max-text-chars", "10")
    done = chat(server.http_url, "--plain", "--nick", "long", stdin="short\n" + "x" * 50 + "\n")
    assert done.returncode == 1
    assert "refused a line (too_long)" in done.stderr


def test_an_unreachable_server_and_a_bad_room_exit_non_zero(server: ServerProcess) -> None:
    done = chat(f"http://127.0.0.1:{free_port()}", "--plain", stdin="hi\n")
    assert done.returncode == 1
    assert "cannot reach the server" in done.stderr
    bad = chat(server.http_url, "--plain", "--room", "no such room!", stdin="hi\n")
    assert bad.returncode == 1
    assert "refused room" in bad.stderr


def test_a_url_that_is_not_a_servers_exits_2() -> None:
    done = chat("ftp://example.invalid/", "--plain")
    assert done.returncode == 2
    assert "not a server URL" in done.stderr


def test_the_full_mode_says_what_to_install_without_textual() -> None:
    blocker = (
        "import sys; sys.modules['textual'] = None; from roomcast.ops.cli import main;"
        " sys.exit(main(sys.argv[1:]))"
    )
    done = chat("http://127.0.0.1:1", python=("-c", blocker))
    assert done.returncode == 2
    assert "pip install 'roomcast[tui]'" in done.stderr
