"""The example bots in examples/, run as a user runs them, against a live server."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from conftest import ServerProcess
from helpers import Client, unb64

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@asynccontextmanager
async def bot(script: str, *args: str, ready: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run an example until the test is done; wait for the line that says it is ready."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / script),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 15)
        assert line.decode().startswith(ready), line
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


async def test_echo_bot_echoes_new_lines_only(server: ServerProcess) -> None:
    async with await Client.connect(server.ws_url, room="echo", nick="human") as human:
        await human.say("said before the bot came")
        await human.expect("Chat")
        async with bot("echo_bot.py", server.ws_url, "--room", "echo", ready="connected to echo"):
            await human.expect("userlist", lambda f: len(f["Users"]) == 2)
            await human.say("hello bot")
            await human.expect("Chat", lambda f: unb64(f["Message"]) == "hello bot")
            echo = await human.expect("Chat", lambda f: f["Author"] == "echo-bot")
            assert unb64(echo["Message"]) == "echo: hello bot"
            # Nothing else: not the backlog, not its own line.
            assert [f for f in await human.quiet("Chat", 0.5) if f.get("Type") == "Chat"] == []


async def test_file_watch_bot_posts_when_the_file_changes(
    server: ServerProcess, tmp_path: Path
) -> None:
    watched = tmp_path / "deploy.log"
    watched.write_text("start\n")
    async with await Client.connect(server.ws_url, room="ops", nick="ops-person") as operator:
        await operator.expect("Joined")
        args = (str(watched), "--url", server.ws_url, "--room", "ops", "--interval", "0.05")
        async with bot("file_watch_bot.py", *args, "--nick", "watcher", ready="watching"):
            watched.write_text("start\nmore\n")
            chat = await operator.expect("Chat", lambda f: f["Author"] == "watcher")
            assert unb64(chat["Message"]) == "deploy.log changed (11 bytes)"
            watched.unlink()
            chat = await operator.expect("Chat", lambda f: f["Author"] == "watcher")
            assert unb64(chat["Message"]) == "deploy.log was removed"
        watched.write_text("one\n")
        async with bot("file_watch_bot.py", *args, "--tail", "--nick", "tail", ready="watching"):
            with watched.open("a") as handle:
                handle.write("two\nthree\n")
            for expected in ("deploy.log: two", "deploy.log: three"):
                chat = await operator.expect("Chat", lambda f: f["Author"] == "tail")
                assert unb64(chat["Message"]) == expected


async def test_hello_in_the_readme_runs_against_a_fresh_server(server: ServerProcess) -> None:
    """The README's example is examples/hello.py, verbatim, and works with what `make run`
    installs: it says hello in the room the page opens and prints what is said there."""
    source = (EXAMPLES / "hello.py").read_text()
    function = source[source.index("async def hello") : source.index("\n\n\ndef main")]
    readme = (EXAMPLES.parent / "README.md").read_text()
    assert function in readme
    async with await Client.connect(server.ws_url, room="default", nick="human") as human:
        await human.expect("Joined")
        async with bot("hello.py", server.ws_url, "--nick", "ada", ready="ada: hello") as proc:
            chat = await human.expect("Chat", lambda f: f["Author"] == "ada")
            assert (unb64(chat["Message"]), chat["Room"]) == ("hello", "default")
            await human.say("hi ada")
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 10)
            assert line.decode().strip() == "human: hi ada"
