"""`roomcast chat` as a person sees it: the real process in an 80x24 tmux pane, a live server.

Each test runs its own tmux server on a private socket (``-L``), so a user's tmux is untouched.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.cells import cell_len

from conftest import ServerProcess
from roomcast.client import Message, connect

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"
)

SRC = str(Path(__file__).resolve().parents[2] / "src")
WIDTH, HEIGHT = 80, 24


class Pane:
    """One detached tmux session on a private socket, running one command."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"roomcast-test-{uuid.uuid4().hex[:12]}"
        self.name = "chat"
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        line = f"env {exports} {shlex.join(command)}; sleep 30"
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(WIDTH), "-y", str(HEIGHT), line)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def capture(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", self.name).splitlines()

    def type(self, text: str, end: str = "Enter") -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)
        self.tmux("send-keys", "-t", self.name, end)

    async def wait_for(self, *needles: str, timeout: float = 15.0) -> list[str]:
        """Poll the pane until every needle shows (bounded by ``timeout``); return its rows."""
        rows: list[str] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    rows = self.capture()
                    if all(needle in "\n".join(rows) for needle in needles):
                        return rows
                    await asyncio.sleep(0.2)
        except TimeoutError:
            pytest.fail(f"the pane never showed {needles!r}:\n" + "\n".join(rows))

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


@contextmanager
def chat_pane(server: ServerProcess, room: str, nick: str, **env: str) -> Iterator[Pane]:
    base = {"TERM": "xterm-256color", "PYTHONPATH": SRC, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    command = [sys.executable, "-m", "roomcast", "chat", server.http_url, "--room", room]
    pane = Pane([*command, "--nick", nick, "--no-bell"], {**base, **env})
    try:
        yield pane
    finally:
        pane.kill()


async def test_typed_line_and_another_clients_line_show_in_the_pane(
    server: ServerProcess,
) -> None:
    with chat_pane(server, "lobby", "alice") as pane:
        await pane.wait_for("lobby", "message, or /help")
        pane.type("hello from the terminal")
        await pane.wait_for("alice: hello from the terminal")
        async with connect(server.http_url, nick="bob", room="lobby") as bob:
            await bob.send("hi alice, from another client", room="lobby")
            await pane.wait_for("alice: hello from the terminal", "bob: hi alice, from another")
            # Longer than the log is wide (46 cells at 80x24): wrapped, its end still on screen.
            await bob.send("a long line " + "that goes on " * 5 + "to its very end", room="lobby")
            await pane.wait_for("to its very end")
            # Alt+Enter (tmux sends ESC CR, as xterm does) starts a new line; Enter sends both.
            pane.type("first of two", end="M-Enter")
            pane.type("second of two")
            message = await bob.next_event(10)
            while not isinstance(message, Message) or message.backlog or message.author != "alice":
                message = await bob.next_event(10)
            assert message.text == "first of two\nsecond of two"


WIDE = "宽字符 😀👍 مرحبا שלום ✓"


async def test_no_color_wide_emoji_and_rtl_text_keep_the_layout(server: ServerProcess) -> None:
    with chat_pane(server, "lobby", "alice", NO_COLOR="1") as pane:
        await pane.wait_for("message, or /help")
        async with connect(server.http_url, nick="dana", room="lobby") as dana:
            await dana.send(WIDE, room="lobby")
            rows = await pane.wait_for("宽字符", "😀", "שלום", "│dana")
        assert any("dana:" in row and "宽字符" in row for row in rows), "\n".join(rows)
        assert len(rows) <= HEIGHT
        for row in rows:
            assert cell_len(row) <= WIDTH, f"{cell_len(row)} cells: {row!r}"
        # The columns' borders sit in the same cells on the wide line as on a plain one, and the
        # composer's box is whole: wide text moved nothing.
        line = next(row for row in rows if "宽字符" in row)
        people = next(row for row in rows if row.endswith("│dana"))
        # (the room list is 18 cells wide with its border, the people column 16)
        assert border_cells(line) == [17, 64], "\n".join(rows)
        assert border_cells(people) == [17, 64], "\n".join(rows)
        for row in rows[-3:]:
            assert cell_len(row) == WIDTH, "\n".join(rows)
            assert (row[0], row[-1]) == ("▊", "▎"), "\n".join(rows)


def border_cells(row: str) -> list[int]:
    """The screen columns (in cells, wide characters counting two) of the row's │ borders."""
    return [cell_len(row[:index]) for index, char in enumerate(row) if char == "│"]
