"""Settings reach a real server from flags, ROOMCAST_* variables and a TOML file, in that order.

Each level is checked by starting ``roomcast serve`` and observing two settings from outside:
the port it listens on, and how many messages a join replays (``history_on_join``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from conftest import ServerProcess, free_port

from .support import ChatClient, Names, run_cli


class ConfiguredServer(ServerProcess):
    """``roomcast serve`` with exactly the given arguments; ``port`` is where it should listen."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "roomcast", "serve", *self.args]


@pytest.fixture(autouse=True)
def no_roomcast_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings of the test runner's own environment must not leak into these servers."""
    for name in list(os.environ):
        if name.startswith("ROOMCAST_"):
            monkeypatch.delenv(name)


async def backlog_size(server: ServerProcess, room: str) -> int:
    async with await ChatClient.open(server.ws_url, room=room) as client:
        await client.barrier()
        return len(client.unclaimed("Chat"))


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_flags_beat_environment_beat_file_beat_defaults(tmp_path: Path, names: Names) -> None:
    data = tmp_path / "data"
    file_port, env_port, flag_port = free_port(), free_port(), free_port()
    config = tmp_path / "roomcast.toml"
    config.write_text(
        f'port = {file_port}\ndb = "{data / "chat.db"}"\ndata_dir = "{data}"\n'
        "history_on_join = 3\nuserlist_interval = 0.02\n"
    )
    room = names.room()
    started: list[ServerProcess] = []

    def launch(args: list[str], env: dict[str, str], port: int) -> ServerProcess:
        server = ConfiguredServer(tmp_path, args, env, port=port)
        started.append(server)
        return server.start()

    try:
        # The file alone.
        server = launch(["--config", str(config)], {}, file_port)
        async with await ChatClient.open(server.ws_url, room=room) as writer:
            for i in range(10):
                await writer.say(f"m{i}")
            await writer.chats(10)
        assert await backlog_size(server, room) == 3
        assert server.stop() == 0

        # Environment over the file.
        env = {"ROOMCAST_PORT": str(env_port), "ROOMCAST_HISTORY_ON_JOIN": "4"}
        server = launch(["--config", str(config)], env, env_port)
        assert not listening(file_port)
        assert await backlog_size(server, room) == 4
        assert server.stop() == 0

        # Flags over the environment.
        flags = ["--config", str(config), "--port", str(flag_port), "--history-on-join", "5"]
        server = launch(flags, env, flag_port)
        assert not listening(env_port)
        assert await backlog_size(server, room) == 5
        assert server.stop() == 0

        # ROOMCAST_CONFIG names the file too, and its keys may sit under [roomcast]; a setting
        # the file leaves out keeps its default (history_on_join 50).
        table = tmp_path / "table.toml"
        table.write_text(
            f'[roomcast]\nport = {file_port}\ndb = "{data / "chat.db"}"\ndata_dir = "{data}"\n'
        )
        server = launch([], {"ROOMCAST_CONFIG": str(table)}, file_port)
        assert await backlog_size(server, room) == 10
        assert server.stop() == 0
    finally:
        for server in started:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait()


BAD_SETTINGS: list[tuple[str, list[str], dict[str, str], str | None, str]] = [
    # (id, flags, environment, TOML text, what stderr must mention)
    ("flag not a number", ["--port", "abc"], {}, None, "port"),
    ("flag out of range", ["--port", "70000"], {}, None, "port"),
    ("history too long", ["--history-on-join", "500"], {}, None, "history_on_join"),
    ("text limit zero", ["--max-text-chars", "0"], {}, None, "max_text_chars"),
    ("negative ping", ["--ping-interval", "-1"], {}, None, "ping_interval"),
    ("env not a number", [], {"ROOMCAST_PORT": "abc"}, None, "ROOMCAST_PORT"),
    ("env out of range", [], {"ROOMCAST_HISTORY_ON_JOIN": "-1"}, None, "history_on_join"),
    ("toml wrong type", [], {}, 'port = "eighty"\n', "port"),
    ("toml unknown key", [], {}, "colour = 'blue'\n", "colour"),
    ("toml syntax", [], {}, "port = = 1\n", "TOML"),
    ("toml out of range", [], {}, "max_frame_bytes = 10\n", "max_frame_bytes"),
    ("unknown db scheme", ["--db", "mongodb://localhost/x"], {}, None, "mongodb"),
]


@pytest.mark.parametrize(
    ("flags", "env", "toml", "mentions"),
    [case[1:] for case in BAD_SETTINGS],
    ids=[case[0] for case in BAD_SETTINGS],
)
async def test_bad_setting_is_a_clear_error(
    tmp_path: Path, flags: list[str], env: dict[str, str], toml: str | None, mentions: str
) -> None:
    port = free_port()
    args = ["serve", "--data-dir", str(tmp_path), "--db", str(tmp_path / "x.db"), "--port"]
    args += [str(port), *flags]
    if toml is not None:
        config = tmp_path / "bad.toml"
        config.write_text(toml)
        args += ["--config", str(config)]
    result = await run_cli(*args, env=env, timeout=30)
    assert result.returncode != 0
    assert mentions in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not listening(port)


async def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    result = await run_cli("serve", "--config", str(missing), "--port", str(free_port()))
    assert result.returncode != 0
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr


async def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await asyncio.wait_for(
            run_cli(
                "serve",
                "--port",
                str(port),
                "--db",
                str(tmp_path / "x.db"),
                "--data-dir",
                str(tmp_path),
            ),
            30,
        )
    assert result.returncode != 0
    assert str(port) in result.stderr
    assert "Traceback" not in result.stderr
