"""The admin commands as a user runs them: ``python -m roomcast ...`` in a subprocess, with and
without a server serving the same database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ServerProcess
from helpers import Client, unb64

from .support import auth, http


def roomcast(*args: str, db: Path | str | None = None, stdin: str | None = None) -> Any:
    command = [sys.executable, "-m", "roomcast", *args]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=60)


async def aroomcast(*args: str, db: Path | str | None = None) -> Any:
    return await asyncio.to_thread(roomcast, *args, db=db)


async def post(server: ServerProcess, room: str, text: str) -> int:
    reply = await http(
        "POST",
        f"{server.http_url}/api/rooms/{room}/messages",
        json_body={"text": text},
        headers=auth(),
    )
    assert reply.status == 201, reply.body
    return int(reply.json()["id"])


@pytest.mark.parametrize(
    "command",
    [
        ["rooms", "--help"],
        ["rooms", "list", "--help"],
        ["rooms", "create", "--help"],
        ["rooms", "delete", "--help"],
        ["history", "--help"],
        ["history", "export", "--help"],
        ["history", "import", "--help"],
        ["backup", "--help"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = roomcast(*command)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: roomcast")


def test_rooms_create_list_delete(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    result = roomcast("rooms", "list", db=db)
    assert (result.returncode, result.stderr) == (
        1,
        f"roomcast: no database at {db} (use --db or ROOMCAST_DB)\n",
    )
    assert not db.exists()  # a mistyped path does not leave an empty database behind
    assert roomcast("rooms", "create", "news", "--topic", "Daily news", db=db).returncode == 0
    assert roomcast("rooms", "create", "général", db=db).returncode == 0
    listed = roomcast("rooms", "list", "--json", db=db)
    assert json.loads(listed.stdout) == [
        {"name": "général", "topic": "", "last_id": 0},
        {"name": "news", "topic": "Daily news", "last_id": 0},
    ]
    table = roomcast("rooms", "list", db=db).stdout.splitlines()
    assert table[0].split() == ["ROOM", "LAST", "ID", "TOPIC"]
    assert table[2].split() == ["news", "0", "Daily", "news"]

    again = roomcast("rooms", "create", "news", db=db)
    assert (again.returncode, again.stderr) == (1, "roomcast: room 'news' already exists\n")
    bad = roomcast("rooms", "create", "no spaces", db=db)
    assert bad.returncode == 2
    assert "invalid room name" in bad.stderr
    unconfirmed = roomcast("rooms", "delete", "news", db=db)
    assert unconfirmed.returncode == 1
    assert "--yes" in unconfirmed.stderr
    assert roomcast("rooms", "delete", "news", "--yes", db=db).returncode == 0
    missing = roomcast("rooms", "delete", "news", "--yes", db=db)
    assert (missing.returncode, missing.stderr) == (1, "roomcast: no room 'news'\n")
    assert [r["name"] for r in json.loads(roomcast("rooms", "list", "--json", db=db).stdout)] == [
        "général"
    ]


def test_store_flags_and_errors(tmp_path: Path) -> None:
    memory = roomcast("rooms", "list", db="memory://")
    assert memory.returncode == 2
    assert "memory://" in memory.stderr
    unknown = roomcast("rooms", "list", db="mongodb://x")
    assert unknown.returncode == 2
    no_action = roomcast("history")
    assert no_action.returncode == 2
    assert "required" in no_action.stderr
    db = tmp_path / "x.db"
    roomcast("rooms", "create", "a", db=db)
    assert roomcast("history", "export", "nowhere", db=db).returncode == 1
    bad_lines = tmp_path / "bad.ndjson"
    for content, complaint in [
        ("{not json\n", "line 1: not valid JSON"),
        ('{"id": 1, "room": "a", "author": "x", "text": "t"}\n', "line 1: time is missing"),
        (
            '\n{"id": "1", "room": "a", "author": "x", "text": "t", "time": "2026-01-01"}',
            "line 2: id must be an integer",
        ),
        (
            '{"id": 1, "room": "a b", "author": "x", "text": "t", "time": "2026-01-01T00:00:00Z"}',
            "line 1: room name may hold only",
        ),
        (
            '{"id": 1, "room": "a", "author": "x", "text": "t", "time": "yesterday"}',
            "line 1: time is not an ISO 8601 time",
        ),
    ]:
        bad_lines.write_text(content)
        result = roomcast("history", "import", str(bad_lines), db=db)
        assert result.returncode == 1
        assert complaint in result.stderr, result.stderr
    assert roomcast("history", "import", str(tmp_path / "absent"), db=db).returncode == 1


async def test_export_delete_import_while_serving(
    api_server: ServerProcess, tmp_path: Path
) -> None:
    db = api_server.db
    ids = [await post(api_server, "log", f"entry {i} ✓") for i in range(1, 6)]
    assert ids == [1, 2, 3, 4, 5]
    export = tmp_path / "log.ndjson"
    result = await aroomcast("history", "export", "log", "-o", str(export), db=db)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"exported 5 messages of log to {export}\n"
    records = [json.loads(line) for line in export.read_text().splitlines()]
    assert [r["id"] for r in records] == ids
    assert set(records[0]) == {"id", "room", "author", "text", "wsid", "time"}
    assert records[0]["text"] == "entry 1 ✓"
    stdout = await aroomcast("history", "export", "log", db=db)
    assert stdout.stdout == export.read_text()

    async with await Client.connect(api_server.ws_url, room="log", nick="watcher") as watcher:
        await watcher.chats(5)
        deleted = await aroomcast("rooms", "delete", "log", "--yes", db=db)
        assert deleted.returncode == 0, deleted.stderr
        reply = await http("GET", f"{api_server.http_url}/api/rooms/log/messages")
        assert reply.json()["messages"] == []
        # IDs are not reused: a member still in the room keeps receiving, in order.
        assert await post(api_server, "log", "after the delete") == 6
        chat = await watcher.expect("Chat")
        assert (chat["ID"], unb64(chat["Message"])) == (6, "after the delete")

        restored = await aroomcast("history", "import", str(export), db=db)
        assert restored.returncode == 0, restored.stderr
        assert restored.stdout == "imported 5 messages into 1 room(s); 0 were already there\n"
        again = await aroomcast("history", "import", str(export), db=db)
        assert again.stdout == "imported 0 messages into 1 room(s); 5 were already there\n"
        page = (await http("GET", f"{api_server.http_url}/api/rooms/log/messages")).json()
        assert [m["id"] for m in page["messages"]] == [6, 5, 4, 3, 2, 1]
        assert page["messages"][-1]["time"] == records[0]["time"]

        # Imported into another room with higher IDs than the server knows: the server's
        # writer notices and continues after them.
        copy = await aroomcast("history", "import", str(export), "--room", "copy", db=db)
        assert copy.returncode == 0
        async with await Client.connect(api_server.ws_url, room="copy", nick="c") as member:
            await member.chats(5)
            assert await post(api_server, "copy", "next") == 6
            assert (await member.expect("Chat"))["ID"] == 6


async def test_import_into_a_fresh_database(api_server: ServerProcess, tmp_path: Path) -> None:
    for i in range(3):
        await post(api_server, "old", f"m{i}")
    dump = tmp_path / "old.ndjson"
    assert (
        await aroomcast("history", "export", "old", "-o", str(dump), db=api_server.db)
    ).returncode == 0
    fresh = tmp_path / "fresh.db"
    result = roomcast("history", "import", "-", db=fresh, stdin=dump.read_text())
    assert result.returncode == 0, result.stderr
    again = roomcast("history", "export", "old", db=fresh)
    assert again.stdout == dump.read_text()


async def test_backup_while_serving(api_server: ServerProcess, tmp_path: Path) -> None:
    stop, warmed_up = asyncio.Event(), asyncio.Event()
    acked: list[int] = []

    async def writer() -> None:
        async with await Client.connect(api_server.ws_url, room="busy", nick="w") as client:
            ref = 0
            while not stop.is_set():
                ref += 1
                await client.say(f"line {ref}", Ref=ref)
                acked.append((await client.expect("Ack"))["ID"])
                if len(acked) == 20:
                    warmed_up.set()

    task = asyncio.create_task(writer())
    await asyncio.wait_for(warmed_up.wait(), 10)
    before = len(acked)
    target = tmp_path / "backups"
    target.mkdir()
    result = await aroomcast("backup", str(target), db=api_server.db)
    stop.set()
    await task
    assert result.returncode == 0, result.stderr
    copy, files = sorted(target.iterdir())
    assert files == copy.with_name(copy.name + "-files")  # the files' database beside it
    assert result.stdout.startswith(f"backed up {api_server.db} to {copy} (")
    assert result.stdout.rstrip().endswith(" 0 files)")
    with sqlite3.connect(files) as copied:
        assert copied.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    ids = [
        row[0] for row in conn.execute("SELECT id FROM messages WHERE room = 'busy' ORDER BY id")
    ]
    conn.close()
    assert len(ids) >= before
    assert ids == list(range(1, len(ids) + 1))  # a consistent snapshot: no holes
    # The copy is a working database.
    listed = roomcast("rooms", "list", "--json", db=copy)
    assert json.loads(listed.stdout)[0]["name"] == "busy"
    exists = roomcast("backup", str(copy), db=api_server.db)
    assert exists.returncode == 1
    assert "--force" in exists.stderr
    assert roomcast("backup", str(copy), "--force", db=api_server.db).returncode == 0
    assert roomcast("backup", str(tmp_path / "x.db"), db="memory://").returncode == 2
