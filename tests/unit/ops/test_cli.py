"""The ``roomcast`` command in process: its flags, and the exit status and one-line message of
each wrong input (broadcast's happy path runs against a live server)."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from dataclasses import fields
from pathlib import Path

import pytest

from conftest import ServerProcess, free_port
from roomcast.ops.cli import build_parser, main
from roomcast.ops.config import Settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``roomcast argv``, argparse's own exits included."""
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_every_setting_is_a_flag_of_serve_with_its_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(
        ["serve", "--max-text-chars", "12", "--ping-interval", "2.5", "--allow-guests", "off"]
    )
    assert (args.max_text_chars, args.ping_interval, args.allow_guests) == (12, 2.5, False)
    given = [f.name for f in fields(Settings) if getattr(args, f.name) is not None]
    assert sorted(given) == ["allow_guests", "max_text_chars", "ping_interval"]
    status, help_text, _ = run(capsys, "serve", "--help")
    assert status == 0
    for setting in fields(Settings):
        assert f"--{setting.name.replace('_', '-')} {setting.name.upper()}" in help_text


def test_no_command_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert (status, out) == (2, "")
    assert err.startswith("usage: roomcast")


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["serve", "--port", "eighty"], "argument --port: invalid int value: 'eighty'"),
        (["serve", "--allow-guests", "maybe"], "argument --allow-guests: invalid parse_bool"),
        (["launch"], "invalid choice: 'launch'"),
        (["broadcast", "--room", "a", "--all", "hi"], "not allowed with argument --room"),
        (["broadcast"], "the following arguments are required: text"),
    ],
)
def test_arguments_argparse_refuses(
    capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert complaint in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--port", "70000"], "roomcast: port must be 0-65535\n"),
        (["serve", "--log-format", "xml"], "roomcast: log_format must be text or json\n"),
        (
            ["migrate", "--workers", "2"],
            "roomcast: workers above 1 need a shared broker: --broker redis://HOST:6379/0\n",
        ),
        (
            ["serve", "--rate-joins", "fast"],
            "roomcast: rate_joins must be RATE/BURST, e.g. 10/30 (RATE per second, 0 for no"
            " limit)\n",
        ),
    ],
)
def test_settings_that_cannot_work_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run(capsys, *argv) == (2, "", message)


def test_a_config_file_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "none.toml"
    assert run(capsys, "serve", "--config", str(missing)) == (
        2,
        "",
        f"roomcast: config file {missing} does not exist\n",
    )


def test_migrate_creates_an_up_to_date_sqlite_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "new.db"
    assert run(capsys, "migrate", "--db", str(db)) == (0, f"schema of {db} is up to date\n", "")
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"rooms", "messages"} <= tables
    assert run(capsys, "migrate", "--db", str(db))[0] == 0  # again: nothing to do


def test_migrate_an_unknown_store(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "migrate", "--db", "mongodb://somewhere/chat")
    assert (status, out) == (1, "")
    assert err.startswith("roomcast: ")
    assert err.count("\n") == 1


def test_broadcast_without_a_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "broadcast", "hi", "--data-dir", str(tmp_path))
    assert (status, out) == (2, "")
    assert err == (
        "roomcast: no API key: set api_key (--api-key, ROOMCAST_API_KEY) or give the"
        f" server's --data-dir, where it keeps {tmp_path / 'admin.key'}\n"
    )


def test_broadcast_to_nobody_listening(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    status, out, err = run(capsys, "broadcast", "hi", "--api-key", "k", "--port", str(port))
    assert (status, out) == (1, "")
    assert err.startswith(
        f"roomcast: cannot reach the server at http://127.0.0.1:{port} (from host and port"
        " settings): "
    )
    assert err.rstrip().endswith(
        "give --port PORT (or --url URL) of the running server, or its --data-dir"
    )


def test_broadcast_to_a_live_server(
    capsys: pytest.CaptureFixture[str], server: ServerProcess
) -> None:
    key = ["--url", server.http_url + "/", "--api-key", server.api_key]
    assert run(capsys, "broadcast", "hello", "--room", "news", *key) == (
        0,
        "posted to news as message 1\n",
        "",
    )
    with urllib.request.urlopen(f"{server.http_url}/api/rooms/news/messages") as response:
        (message,) = json.load(response)["messages"]
    assert (message["id"], message["text"]) == (1, "hello")
    # The key file in --data-dir is found when no key is given.
    found = run(
        capsys, "broadcast", "again", "--port", str(server.port), "--data-dir", str(server.data_dir)
    )
    assert found == (0, "posted to default as message 1\n", "")
    everywhere = run(capsys, "broadcast", "to all", "--all", *key)
    assert everywhere[0] == 0
    assert sorted(everywhere[1].splitlines()) == [
        "posted to default as message 2",
        "posted to news as message 2",
    ]


def test_broadcast_refusals_say_the_status_and_code(
    capsys: pytest.CaptureFixture[str], server: ServerProcess
) -> None:
    status, out, err = run(capsys, "broadcast", "hi", "--url", server.http_url, "--api-key", "x")
    assert (status, out) == (1, "")
    assert err.startswith("roomcast: the server refused the broadcast (401) ")
    long_text = "x" * 100_000
    status, _, err = run(
        capsys, "broadcast", long_text, "--url", server.http_url, "--api-key", server.api_key
    )
    assert status == 1
    assert "the server refused the broadcast (4" in err
