"""The admin commands in process on a temporary SQLite database: rooms, NDJSON export and
import, and the online backup."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from roomcast.ops.cli import main
from roomcast.store import NewMessage, open_store


class Admin:
    """``roomcast ... --db DB`` on one database; returns (status, stdout, stderr)."""

    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self._capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        try:
            status = main([*argv, "--db", str(self.db)])
        except SystemExit as exc:
            status = int(exc.code or 0)
        out, err = self._capsys.readouterr()
        return status, out, err


@pytest.fixture
def admin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Admin:
    return Admin(tmp_path / "chat.db", capsys)


def post(db: Path, room: str, *texts: str) -> None:
    """Store messages the way the server does."""

    async def write() -> None:
        store = open_store(str(db))
        await store.open()
        try:
            for text in texts:
                await store.append(NewMessage(room, "alice", text, "ws1", 1767225600000))
        finally:
            await store.close()

    asyncio.run(write())


def test_rooms_on_a_missing_database_create_nothing(admin: Admin) -> None:
    assert admin("rooms", "list") == (
        1,
        "",
        f"roomcast: no database at {admin.db} (use --db or ROOMCAST_DB)\n",
    )
    assert not admin.db.exists()


def test_create_list_and_delete(admin: Admin) -> None:
    assert admin("rooms", "create", "news", "--topic", "Daily") == (0, "created room news\n", "")
    assert admin("rooms", "create", "a-much-longer-name") == (
        0,
        "created room a-much-longer-name\n",
        "",
    )
    post(admin.db, "news", "one", "two")
    status, out, _ = admin("rooms", "list")
    assert status == 0
    assert out.splitlines() == [
        "ROOM                   LAST ID  TOPIC",
        "a-much-longer-name           0  ",
        "news                         2  Daily",
    ]
    assert json.loads(admin("rooms", "list", "--json")[1]) == [
        {"name": "a-much-longer-name", "topic": "", "last_id": 0},
        {"name": "news", "topic": "Daily", "last_id": 2},
    ]
    assert admin("rooms", "delete", "news") == (
        1,
        "",
        "roomcast: not deleted: confirm with --yes\n",
    )
    assert admin("rooms", "delete", "news", "--yes") == (0, "deleted room news\n", "")
    assert admin("rooms", "delete", "news", "--yes") == (1, "", "roomcast: no room 'news'\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rooms", "create", "a b"], "roomcast: invalid room name 'a b': "),
        (["rooms", "create", "ok", "--topic", "two\nlines"], "roomcast: a topic is one line"),
        (["rooms", "create", "ok", "--topic", "t" * 201], "roomcast: a topic is one line"),
        (["history", "export", "a b"], "roomcast: invalid room name"),
    ],
)
def test_wrong_arguments_exit_2(admin: Admin, argv: list[str], message: str) -> None:
    status, out, err = admin(*argv)
    assert (status, out) == (2, "")
    assert err.startswith(message)
    assert not admin.db.exists()


def test_a_room_that_exists_already(admin: Admin) -> None:
    admin("rooms", "create", "news")
    assert admin("rooms", "create", "news") == (1, "", "roomcast: room 'news' already exists\n")


def test_memory_is_not_a_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rooms", "list", "--db", "memory://"]) == 2
    assert "memory:// lives only inside the server" in capsys.readouterr().err


def test_export_then_import_elsewhere_keeps_ids_and_can_repeat(
    admin: Admin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post(admin.db, "news", "one", "dos ☺", "three")
    status, out, err = admin("history", "export", "news")
    assert (status, err) == (0, "exported 3 messages of news\n")
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["text"], r["room"]) for r in records] == [
        (1, "one", "news"),
        (2, "dos ☺", "news"),
        (3, "three", "news"),
    ]
    assert records[0]["time"] == "2026-01-01T00:00:00.000Z"
    exported = tmp_path / "news.ndjson"
    assert admin("history", "export", "news", "-o", str(exported)) == (
        0,
        "",
        f"exported 3 messages of news to {exported}\n",
    )
    assert exported.read_text(encoding="utf-8") == out
    assert not (tmp_path / "news.ndjson.partial").exists()

    other = Admin(tmp_path / "other.db", capsys)
    imported = "imported 3 messages into 1 room(s); 0 were already there\n"
    assert other("history", "import", str(exported)) == (0, imported, "")
    again = "imported 0 messages into 1 room(s); 3 were already there\n"
    assert other("history", "import", str(exported)) == (0, again, "")
    assert other("history", "export", "news")[1] == out
    assert other("history", "import", str(exported), "--room", "archive")[0] == 0
    moved = [json.loads(line) for line in other("history", "export", "archive")[1].splitlines()]
    assert [(m["id"], m["room"], m["text"]) for m in moved] == [
        (1, "archive", "one"),
        (2, "archive", "dos ☺"),
        (3, "archive", "three"),
    ]


def test_export_of_a_missing_room(admin: Admin) -> None:
    admin("rooms", "create", "a")
    assert admin("history", "export", "b") == (1, "", "roomcast: no room 'b'\n")


def line(**fields: object) -> str:
    record: dict[str, object] = {
        "id": 1,
        "room": "a",
        "author": "x",
        "text": "t",
        "time": "2026-01-01T00:00:00Z",
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None})


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("[1, 2]", "line 1: not a JSON object"),
        (line(id=True), "line 1: id must be an integer"),
        (line(id=0), "line 1: id must be at least 1"),
        (line(id=2**63), "line 1: id must be at least 1"),
        (line(author=""), "line 1: author must not be empty"),
        (line(text=5), "line 1: text must be a string"),
        (line(wsid=["w"]), "line 1: wsid must be a string"),
        (line(room=None), "line 1: room is missing"),
        (line(room=3), "line 1: room must be a string"),
        (line(text="\ud800"), "line 1: text is not valid Unicode text"),
        (line() + "\n" + line(), "message 1 of room a appears twice"),
    ],
)
def test_import_refuses_bad_lines_and_stores_nothing(
    admin: Admin, tmp_path: Path, content: str, complaint: str
) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text(content, encoding="utf-8")
    assert admin("history", "import", str(source)) == (1, "", f"roomcast: {complaint}\n")
    assert not admin.db.exists()


def test_import_fills_in_what_a_line_may_leave_out(admin: Admin, tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text("\n" + line(time="2026-01-01T00:00:00.5", room=None) + "\n\n")
    assert admin("history", "import", str(source), "--room", "a")[0] == 0
    (record,) = [json.loads(x) for x in admin("history", "export", "a")[1].splitlines()]
    assert record["wsid"] == "import"
    assert record["time"] == "2026-01-01T00:00:00.500Z"  # no offset: read as UTC


def test_import_of_a_file_that_is_not_there_or_not_utf8(admin: Admin, tmp_path: Path) -> None:
    absent = tmp_path / "absent.ndjson"
    assert admin("history", "import", str(absent)) == (
        1,
        "",
        f"roomcast: cannot read {absent}: No such file or directory\n",
    )
    latin = tmp_path / "latin.ndjson"
    latin.write_bytes(line(text="x").encode().replace(b'"x"', b'"\xe9"'))
    assert admin("history", "import", str(latin)) == (
        1,
        "",
        f"roomcast: {latin} is not UTF-8 text\n",
    )


def test_backup_is_a_complete_file_and_its_files_database(
    admin: Admin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post(admin.db, "news", "one", "two")
    copy = tmp_path / "copy.db"
    status, out, err = admin("backup", str(copy))
    assert (status, err) == (0, "")
    assert out.startswith(f"backed up {admin.db} to {copy} (")
    assert out.endswith(" bytes, 1 rooms, 2 messages, 0 files)\n")
    for made in (copy, tmp_path / "copy.db-files"):
        with sqlite3.connect(made) as connection:
            (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
        assert mode == "delete"  # no write-ahead log beside it
    exported = Admin(copy, capsys)("history", "export", "news")[1].splitlines()
    assert [json.loads(x)["text"] for x in exported] == ["one", "two"]
    assert not (tmp_path / "copy.db.partial").exists()
    assert not (tmp_path / "copy.db-files.partial").exists()


def test_backup_refusals(admin: Admin, tmp_path: Path) -> None:
    assert admin("backup", str(tmp_path / "x.db"))[0] == 1  # no database yet
    admin("rooms", "create", "a")
    copy = tmp_path / "copy.db"
    assert admin("backup", str(copy))[0] == 0
    assert admin("backup", str(copy)) == (
        1,
        "",
        f"roomcast: {copy} exists (use --force to replace it)\n",
    )
    assert admin("backup", str(copy), "--force")[0] == 0
    assert admin("backup", str(admin.db), "--force") == (
        2,
        "",
        "roomcast: the backup must not replace the database itself\n",
    )


def test_backup_into_a_directory_names_the_file(admin: Admin, tmp_path: Path) -> None:
    admin("rooms", "create", "a")
    folder = tmp_path / "backups"
    folder.mkdir()
    assert admin("backup", str(folder))[0] == 0
    made, files = sorted(folder.iterdir())
    assert made.name.startswith("chat-")
    assert made.suffix == ".db"
    assert files.name == made.name + "-files"
