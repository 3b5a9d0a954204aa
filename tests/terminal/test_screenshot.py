"""The README's picture of the terminal client: a lived-in room at 100x30, shot as SVG.

``ROOMCAST_UPDATE_SCREENSHOTS=1 PYTHONPATH=src .venv/bin/pytest tests/terminal/test_screenshot.py``
writes docs/screenshots/terminal.svg; without it the picture only goes to test-artifacts/.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from textual.widgets import RichLog

from conftest import ServerProcess
from roomcast.client import connect
from roomcast.terminal.app import ChatApp
from roomcast.terminal.composer import Composer
from roomcast.terminal.options import ChatOptions

from .test_app import log_text

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "terminal.svg"


async def test_docs_screenshot_of_a_lived_in_room(server: ServerProcess) -> None:
    """#lobby with a reply, a reaction, an attachment and a line naming the reader."""
    async with (
        connect(server.http_url, nick="bob", room="lobby") as bob,
        connect(server.http_url, nick="carol", room="lobby") as carol,
    ):
        await carol.join("design")
        release = await bob.send("Morning! Did the release go out?", room="lobby")
        answer = await carol.send("Yes, 0.1.0 is out: reconnects now resume", reply_to=release)
        await bob.react("lobby", answer, "🎉")
        await carol.react("lobby", release, "👍")
        notes = await carol.upload("lobby", b"# roomcast 0.1.0\n" * 64, name="release-notes.md")
        await carol.send("the notes, for the record", attachments=[notes])
        await bob.send("Ship it, @alice! Arabic (مرحبا) and 宽字符 round-trip too ✓")
        await carol.send("mock-ups for the new sidebar are up", room="design")
        options = ChatOptions(server.http_url, ("lobby", "design"), "alice", color=True, bell=False)
        app = ChatApp(options)
        async with app.run_test(size=(100, 30)) as pilot:
            async with asyncio.timeout(15):
                while "round-trip" not in log_text(app) or "bob" not in str(app.people):
                    await pilot.pause(0.05)
            app.query_one(Composer).text = f"/reply {answer} on it"
            await pilot.pause()
            ARTIFACTS.mkdir(exist_ok=True)
            path = Path(app.save_screenshot("terminal.svg", str(ARTIFACTS)))
            text = log_text(app)
            log = app.query_one(RichLog)
            widest = max(strip.cell_length for strip in log.lines)
            assert widest <= log.scrollable_content_region.width, "a line is clipped, not wrapped"
    for shown in ("┆ bob: Morning!", "[🎉 1]", "release-notes.md", "@alice", "[👍 1]"):
        assert shown in text, text
    keep(path)


def keep(path: Path) -> None:
    """Check the shot is an SVG; copy it to the docs when asked to."""
    assert path.read_text().startswith("<svg")
    if os.environ.get("ROOMCAST_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOT)
