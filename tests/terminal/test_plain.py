"""``roomcast chat --plain`` and ``--json`` through real pipes against a real server, and the
full mode's message when Textual is missing."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.accounts import PASSWORD, register, unique
from tests.conftest import ServerProcess, free_port

SRC = str(Path(__file__).resolve().parents[2] / "src")


def chat(
    *args: str, stdin: str = "", python: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``roomcast chat ARGS`` with ``stdin`` through a pipe, and no terminal to ask from."""
    env = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    command = [sys.executable, *python] if python else [sys.executable, "-m", "roomcast"]
    return subprocess.run(
        [*command, "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        start_new_session=True,
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


def test_a_file_past_the_rate_limit_is_paced_and_sent_whole(server_factory: Any) -> None:
    server = server_factory("--rate-messages", "5/5", "--flood-limit", "3")
    lines = [f"line {i}" for i in range(20)]
    done = chat(server.http_url, "--plain", "--room", "paced", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    assert [line.split(": ", 1)[1] for line in done.stdout.splitlines()] == lines


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


def test_login_keeps_a_token_in_a_0600_file_and_reuses_it(
    server: ServerProcess, tmp_path: Path
) -> None:
    name = unique("pat")
    asyncio.run(register(server.http_url, name))
    config = tmp_path / "config"
    env = {"XDG_CONFIG_HOME": str(config)}
    # no terminal: the password is the first line of stdin
    first = chat(server.http_url, "--plain", "--login", name, stdin=f"{PASSWORD}\nhello\n", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split(" ", 1)[1] == f"default {name}: hello\n"
    kept = config / "roomcast" / "credentials.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    token = json.loads(kept.read_text())[server.http_url][name]
    assert token.startswith("rc_")
    again = chat(server.http_url, "--plain", "--login", name, stdin="again\n", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split(" ", 1)[1] == f"default {name}: again\n"
    kept.write_text(json.dumps({server.http_url: {name: "rc_revoked"}}))
    refused = chat(server.http_url, "--plain", "--login", name, stdin="no\n", env=env)
    assert refused.returncode == 1
    assert "kept credential" in refused.stderr
    assert "refused" in refused.stderr


def test_a_wrong_password_exits_1(server: ServerProcess, tmp_path: Path) -> None:
    name = unique("pat")
    asyncio.run(register(server.http_url, name))
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    done = chat(server.http_url, "--plain", "--login", name, stdin="wrong password\n", env=env)
    assert done.returncode == 1
    assert "was refused" in done.stderr
    assert not (tmp_path / "roomcast" / "credentials.json").exists()


def test_a_restart_mid_stream_neither_loses_nor_repeats_a_line(server: ServerProcess) -> None:
    command = [sys.executable, "-m", "roomcast", "chat", server.http_url, "--plain"]
    proc = subprocess.Popen(
        [*command, "--room", "steady", "--nick", "stream"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        start_new_session=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write("before\n")
    proc.stdin.flush()
    assert proc.stdout.readline().endswith(" steady stream: before\n")  # flushed line by line
    server.restart()
    rest, errors = proc.communicate("after\n", timeout=60)
    assert proc.returncode == 0, errors
    assert [line.split(" ", 1)[1] for line in rest.splitlines()] == ["steady stream: after"]
