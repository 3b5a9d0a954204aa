"""The ``roomcast`` command: --version, and ``broadcast`` to one room or all of a running server."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import roomcast
from conftest import ServerProcess, free_port
from helpers import unb64

from .support import ChatClient, Names, http, run_cli


def target(server: ServerProcess) -> list[str]:
    """Flags that point ``roomcast broadcast`` at ``server`` and its generated API key."""
    return ["--port", str(server.port), "--data-dir", str(server.data_dir)]


async def test_version(tmp_path: Path) -> None:
    result = await run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"roomcast {roomcast.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", roomcast.__version__)
    script = Path(sys.executable).parent / "roomcast"
    installed = str(script) if script.exists() else shutil.which("roomcast")
    if installed is None:
        pytest.skip("the roomcast console script is not installed")
    proc = await asyncio.create_subprocess_exec(
        installed, "--version", stdout=asyncio.subprocess.PIPE, cwd=tmp_path
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.decode().strip() == f"roomcast {roomcast.__version__}"


async def test_broadcast_to_one_room(live: ServerProcess, names: Names) -> None:
    room, other = names.room(), names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as listener,
        await ChatClient.open(live.ws_url, room=other) as bystander,
    ):
        result = await run_cli("broadcast", "--room", room, *target(live), "maintenance at 5")
        assert result.returncode == 0, result.stderr
        assert room in result.stdout
        chat = await listener.expect("Chat")
        assert unb64(chat["Message"]) == "maintenance at 5"
        assert chat["Author"] == "system"
        assert chat["Room"] == room
        assert chat["ID"] == 1
        await bystander.barrier()
        assert bystander.unclaimed("Chat") == []


async def test_broadcast_with_explicit_url_and_key(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as listener:
        result = await run_cli(
            "broadcast", "--room", room, "--url", live.http_url, "--api-key", live.api_key, "hej"
        )
        assert result.returncode == 0, result.stderr
        assert unb64((await listener.expect("Chat"))["Message"]) == "hej"
        # The key may also come from the environment.
        result = await run_cli(
            "broadcast",
            "--room",
            room,
            "--url",
            live.http_url,
            "again",
            env={"ROOMCAST_API_KEY": live.api_key},
        )
        assert result.returncode == 0, result.stderr
        assert unb64((await listener.expect("Chat"))["Message"]) == "again"


async def test_broadcast_without_room_goes_to_default(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url) as listener:
        text = f"to the default room {names.nick()}"
        result = await run_cli("broadcast", *target(live), text)
        assert result.returncode == 0, result.stderr
        chat = await listener.expect("Chat", lambda f: unb64(f["Message"]) == text)
        assert (chat["Room"], chat["Author"]) == ("default", "system")


async def test_broadcast_all_reaches_every_room(server_factory: Any, names: Names) -> None:
    server: ServerProcess = server_factory()
    one, two, quiet = names.room(), names.room(), names.room("history-only")
    async with await ChatClient.open(server.ws_url, room=quiet) as writer:
        await writer.say("left behind")
        await writer.expect("Chat")
    async with (
        await ChatClient.open(server.ws_url, room=one) as in_one,
        await ChatClient.open(server.ws_url, room=two) as in_two,
        await ChatClient.open(server.ws_url, room=one) as also_in_one,
    ):
        result = await run_cli("broadcast", "--all", *target(server), "server restarts soon")
        assert result.returncode == 0, result.stderr
        for client, room in ((in_one, one), (in_two, two), (also_in_one, one)):
            chat = await client.expect("Chat")
            assert (unb64(chat["Message"]), chat["Author"]) == ("server restarts soon", "system")
            assert chat["Room"] == room
            await client.barrier()
            assert client.unclaimed("Chat") == []  # once per room, not once per member
        for room in (one, two, quiet):
            assert room in result.stdout
        page = await http("GET", f"{server.http_url}/api/rooms/{quiet}/messages")
        newest = page.json()["messages"][0]
        assert (newest["text"], newest["author"]) == ("server restarts soon", "system")


async def test_broadcast_with_a_wrong_key_fails_clearly(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as listener:
        result = await run_cli(
            "broadcast", "--room", room, "--port", str(live.port), "--api-key", "wrong", "nope"
        )
        assert result.returncode != 0
        assert "401" in result.stderr or "unauthori" in result.stderr.lower()
        assert "Traceback" not in result.stderr
        await listener.barrier()
        assert listener.unclaimed("Chat") == []


async def test_broadcast_without_any_key_fails_clearly(live: ServerProcess, tmp_path: Path) -> None:
    result = await run_cli(
        "broadcast", "--port", str(live.port), "--data-dir", str(tmp_path / "empty"), "x"
    )
    assert result.returncode != 0
    assert "key" in result.stderr.lower()
    assert "Traceback" not in result.stderr


async def test_broadcast_to_a_server_that_is_down_fails_clearly(tmp_path: Path) -> None:
    port = free_port()
    result = await run_cli("broadcast", "--port", str(port), "--api-key", "k", "anyone?")
    assert result.returncode != 0
    assert str(port) in result.stderr
    assert "Traceback" not in result.stderr


async def test_broadcast_refused_text_fails_clearly(live: ServerProcess, names: Names) -> None:
    result = await run_cli("broadcast", "--room", names.room(), *target(live), "bell \x07")
    assert result.returncode != 0
    assert "bad_text" in result.stderr
    result = await run_cli("broadcast", "--room", "not a room", *target(live), "hello")
    assert result.returncode != 0
    assert "room" in result.stderr


async def test_broadcast_room_and_all_are_exclusive(live: ServerProcess) -> None:
    result = await run_cli("broadcast", "--room", "r", "--all", *target(live), "both")
    assert result.returncode == 2
    assert "not allowed" in result.stderr


async def test_broadcast_finds_the_port_of_the_server_of_its_data_directory(
    server_factory: Any, names: Names
) -> None:
    """No --port: the server records where it listens in its data directory, and broadcast
    reads it there; the record goes when the server stops."""
    server: ServerProcess = server_factory("--userlist-interval", "0.02")
    recorded = server.data_dir / "server.json"
    assert json.loads(recorded.read_text())["url"] == server.http_url
    room = names.room()
    async with await ChatClient.open(server.ws_url, room=room) as listener:
        result = await run_cli(
            "broadcast", "--room", room, "--data-dir", str(server.data_dir), "hi"
        )
        assert result.returncode == 0, result.stderr
        assert unb64((await listener.expect("Chat"))["Message"]) == "hi"
        # From the server's directory the default data directory is the right one.
        result = await run_cli(
            "broadcast",
            "--room",
            room,
            "again",
            cwd=str(server.data_dir.parent),
            env={"ROOMCAST_DATA_DIR": server.data_dir.name},
        )
        assert result.returncode == 0, result.stderr
        assert unb64((await listener.expect("Chat"))["Message"]) == "again"
    assert server.stop() == 0
    assert not recorded.exists()


async def test_broadcast_ignores_the_address_of_a_killed_server(server_factory: Any) -> None:
    server: ServerProcess = server_factory()
    server.kill()
    assert (server.data_dir / "server.json").exists()  # a kill -9 leaves it behind
    result = await run_cli("broadcast", "--data-dir", str(server.data_dir), "anyone?")
    assert result.returncode == 1
    assert "cannot reach the server at http://127.0.0.1:8000" in result.stderr
    assert "give --port PORT" in result.stderr
    assert "Traceback" not in result.stderr


async def test_broadcast_help_lists_only_the_options_it_uses() -> None:
    result = await run_cli("broadcast", "--help")
    assert result.returncode == 0
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.stdout))
    assert flags == {
        "--help",
        "--room",
        "--all",
        "--url",
        "--config",
        "--host",
        "--port",
        "--data-dir",
        "--api-key",
    }


def test_the_readme_port_recipe_reaches_serve() -> None:
    """README: `make run ARGS="--port 8080"` picks the port; make hands ARGS to serve."""
    root = Path(__file__).resolve().parents[2]
    assert 'make run ARGS="--port 8080"' in (root / "README.md").read_text()
    made = subprocess.run(
        ["make", "-n", "-C", str(root), "run", "ARGS=--port 8080"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".venv/bin/roomcast serve --port 8080" in made.stdout
