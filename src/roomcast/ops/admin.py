"""The admin commands: ``rooms list|create|delete``, ``history export|import`` and ``backup``.

They work on the message store that ``--db`` names, directly, with or without a server running
on it: SQLite serialises the writes and the server notices them (see ``SQLiteStore``). They go
through the same ``MessageStore`` methods as the server, so any store that implements them works;
``backup`` is SQLite's online backup and needs an SQLite file.

Export and import use NDJSON: one JSON object per line, in the REST API's message shape
(``id``, ``room``, ``author``, ``text``, ``wsid``, ``time``). An import keeps the IDs, skips
messages already present, and so can be repeated safely.

Every command returns an exit status: 0 done, 1 failed, 2 wrong arguments. Failures print one
line to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, TypeVar

from roomcast.ops.config import Settings
from roomcast.store import MessageStore, StoreUnavailable, open_store
from roomcast.store.sqlite import files_path, move_journal
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage, ProtocolError

_T = TypeVar("_T")
_PAGE: Final = 1000
_IMPORT_BATCH: Final = 5000


class AdminError(Exception):
    """A command cannot be done; ``status`` is the exit status (1 failed, 2 wrong arguments)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Carry out the admin command that ``args`` names; return the exit status."""
    commands: dict[tuple[str, str | None], Callable[[argparse.Namespace, Settings], int]] = {
        ("rooms", "list"): rooms_list,
        ("rooms", "create"): rooms_create,
        ("rooms", "delete"): rooms_delete,
        ("history", "export"): history_export,
        ("history", "import"): history_import,
        ("backup", None): backup,
    }
    try:
        return commands[(args.command, getattr(args, "action", None))](args, settings)
    except AdminError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return exc.status
    except StoreUnavailable as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of stdout went away (``| head``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------


def _sqlite_path(store: MessageStore) -> Path | None:
    from roomcast.store.sqlite import SQLiteStore

    return store.path if isinstance(store, SQLiteStore) else None


def _open(settings: Settings, *, may_create: bool) -> MessageStore:
    if settings.db in ("memory://", ":memory:"):
        raise AdminError(
            "the admin commands need a database: memory:// lives only inside the server"
            " process (use --db or ROOMCAST_DB)",
            2,
        )
    try:
        # A command's store keeps no search index: the server's does.
        store = open_store(settings.db, synchronous=settings.sqlite_synchronous, search_index=False)
    except ValueError as exc:
        raise AdminError(str(exc), 2) from None
    path = _sqlite_path(store)
    if path is not None and not may_create and not path.is_file():
        raise AdminError(f"no database at {path} (use --db or ROOMCAST_DB)")
    return store


def _with_store(
    settings: Settings, work: Callable[[MessageStore], Awaitable[_T]], *, may_create: bool = False
) -> _T:
    store = _open(settings, may_create=may_create)

    async def session() -> _T:
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(session())


def _room_arg(raw: str) -> str:
    try:
        return protocol.validate_room(raw)
    except ProtocolError as exc:
        raise AdminError(f"invalid room name {raw!r}: {exc.message}", 2) from None


# ---------------------------------------------------------------------------------------------
# rooms
# ---------------------------------------------------------------------------------------------


def rooms_list(args: argparse.Namespace, settings: Settings) -> int:
    rooms = _with_store(settings, lambda store: store.rooms())
    if args.json:
        rows = [{"name": r.name, "topic": r.topic, "last_id": r.last_id} for r in rooms]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    width = max([len("ROOM"), *(len(r.name) for r in rooms)])
    print(f"{'ROOM':<{width}}  {'LAST ID':>10}  TOPIC")
    for room in rooms:
        print(f"{room.name:<{width}}  {room.last_id:>10}  {room.topic}")
    return 0


def rooms_create(args: argparse.Namespace, settings: Settings) -> int:
    name = _room_arg(args.name)
    topic = args.topic or ""
    if len(topic) > 200 or any(ch in topic for ch in "\r\n"):
        raise AdminError("a topic is one line of at most 200 characters", 2)

    async def create(store: MessageStore) -> bool:
        nonlocal name
        name = await store.room_name(name, claim=True)
        return await store.create_room(name, topic)

    if not _with_store(settings, create, may_create=True):
        raise AdminError(f"room {name!r} already exists")
    print(f"created room {name}")
    return 0


def rooms_delete(args: argparse.Namespace, settings: Settings) -> int:
    name = _room_arg(args.name)

    async def delete(store: MessageStore) -> bool:
        nonlocal name
        name = await store.room_name(name, claim=False)
        room = await store.room(name)
        if room is None:
            raise AdminError(f"no room {name!r}")
        if not args.yes and not _confirm(
            f"delete room {name} and its history ({room.last_id} IDs)?"
        ):
            raise AdminError("not deleted: confirm with --yes")
        return await store.delete_room(name)

    if not _with_store(settings, delete):
        raise AdminError(f"no room {name!r}")
    print(f"deleted room {name}")
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in ("y", "yes")


# ---------------------------------------------------------------------------------------------
# history
# ---------------------------------------------------------------------------------------------


def message_record(message: ChatMessage) -> dict[str, Any]:
    """One NDJSON record: the REST API's message shape."""
    return {
        "id": message.id,
        "room": message.room,
        "author": message.author,
        "text": message.text,
        "wsid": message.wsid,
        "time": protocol.iso_time(message.sent_ms),
    }


def history_export(args: argparse.Namespace, settings: Settings) -> int:
    room = _room_arg(args.room)
    target = Path(args.output) if args.output else None

    async def export(store: MessageStore) -> int:
        nonlocal room
        room = await store.room_name(room, claim=False)
        if await store.room(room) is None:
            raise AdminError(f"no room {room!r}")
        partial = target.with_name(target.name + ".partial") if target else None
        try:
            handle: IO[str] = (
                partial.open("w", encoding="utf-8") if partial is not None else sys.stdout
            )
        except OSError as exc:
            raise AdminError(f"cannot write {target}: {exc.strerror}") from None
        count = 0
        try:
            after = 0
            # The room's lines in their current state; edits, deletions and reactions are
            # events of the log that an export does not keep.
            while page := await store.after(room, after, _PAGE):
                for message in page:
                    if isinstance(message, ChatMessage) and not message.deleted:
                        record = message_record(message)
                        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                        count += 1
                after = page[-1].id
        finally:
            if partial is not None:
                handle.close()
        if partial is not None and target is not None:
            os.replace(partial, target)
        else:
            handle.flush()
        return count

    count = _with_store(settings, export)
    where = f" to {target}" if target else ""
    print(f"exported {count} messages of {room}{where}", file=sys.stderr)
    return 0


def _parse_record(line: str, number: int, room: str | None) -> ChatMessage:
    def fail(reason: str) -> AdminError:
        return AdminError(f"line {number}: {reason}")

    try:
        record = json.loads(line)
    except ValueError:
        raise fail("not valid JSON") from None
    if not isinstance(record, dict):
        raise fail("not a JSON object")
    for key in ("id", "author", "text", "time", *(() if room else ("room",))):
        if key not in record:
            raise fail(f"{key} is missing")
    message_id, author, text = record["id"], record["author"], record["text"]
    wsid = record.get("wsid", "import")
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise fail("id must be an integer")
    if not 1 <= message_id < 2**63:
        raise fail("id must be at least 1")
    for key, value in (
        ("author", author),
        ("text", text),
        ("wsid", wsid),
        ("time", record["time"]),
    ):
        if not isinstance(value, str):
            raise fail(f"{key} must be a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise fail(f"{key} is not valid Unicode text") from None
    if not author:
        raise fail("author must not be empty")
    try:
        target = protocol.validate_room(room or record["room"])
    except ProtocolError as exc:
        raise fail(exc.message) from None
    except TypeError:
        raise fail("room must be a string") from None
    try:
        sent = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    except ValueError:
        raise fail("time is not an ISO 8601 time") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    sent_ms = int(sent.timestamp() * 1000 + 0.5)
    return ChatMessage(target, message_id, author, text, wsid, sent_ms)


def _read_records(source: IO[str], room: str | None) -> Iterator[ChatMessage]:
    for number, line in enumerate(source, start=1):
        if line.strip():
            yield _parse_record(line, number, room)


def history_import(args: argparse.Namespace, settings: Settings) -> int:
    room = _room_arg(args.room) if args.room else None
    try:
        if args.file == "-":
            messages = list(_read_records(sys.stdin, room))
        else:
            with open(args.file, encoding="utf-8") as source:
                messages = list(_read_records(source, room))
    except OSError as exc:
        raise AdminError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AdminError(f"{args.file} is not UTF-8 text") from None
    seen: set[tuple[str, int]] = set()
    for message in messages:
        key = (message.room, message.id)
        if key in seen:
            raise AdminError(f"message {message.id} of room {message.room} appears twice")
        seen.add(key)

    async def store_all(store: MessageStore) -> int:
        # Each room as the store spells it (a room's name is case-insensitive).
        names = {r: await store.room_name(r, claim=True) for r in {m.room for m in messages}}
        spelled = [dataclasses.replace(m, room=names[m.room]) for m in messages]
        added = 0
        for start in range(0, len(spelled), _IMPORT_BATCH):
            added += await store.import_messages(spelled[start : start + _IMPORT_BATCH])
        return added

    added = _with_store(settings, store_all, may_create=True)
    rooms = len({m.room for m in messages})
    print(
        f"imported {added} messages into {rooms} room(s);"
        f" {len(messages) - added} were already there"
    )
    return 0


# ---------------------------------------------------------------------------------------------
# backup
# ---------------------------------------------------------------------------------------------


def backup(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the SQLite database with SQLite's online backup: consistent while the server runs."""
    source = _sqlite_path(_open(settings, may_create=False))
    if source is None:
        raise AdminError(
            "backup copies an SQLite database; back up other databases with their own tools"
            " (PostgreSQL: pg_dump)",
            2,
        )
    target = Path(args.path)
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = target / f"{source.stem}-{stamp}.db"
    if target.exists() and not args.force:
        raise AdminError(f"{target} exists (use --force to replace it)")
    if target.resolve() == source.resolve():
        raise AdminError("the backup must not replace the database itself", 2)
    # The files' database beside it (``<db>-files``) is copied after the history, so every
    # file a copied line names is in the copy (a file uploaded meanwhile may be too).
    copies = [(source, target)]
    if files_path(source).exists():
        copies.append((files_path(source), files_path(target)))
    partials = [(copy, copy.with_name(copy.name + ".partial")) for _, copy in copies]
    try:
        rooms, messages = _copy(source, partials[0][1])
        files = _snapshot(copies[-1][0], partials[-1][1], _files_count) if len(copies) > 1 else 0
        for copy, partial in partials:
            os.replace(partial, copy)
    except sqlite3.Error as exc:
        for _, partial in partials:
            partial.unlink(missing_ok=True)
        raise AdminError(f"backup failed: {exc}") from None
    except OSError as exc:
        for _, partial in partials:
            partial.unlink(missing_ok=True)
        raise AdminError(f"cannot write {target}: {exc.strerror}") from None
    size = target.stat().st_size
    print(
        f"backed up {source} to {target} ({size} bytes, {rooms} rooms, {messages} messages,"
        f" {files} files)"
    )
    return 0


def _copy(source: Path, target: Path) -> tuple[int, int]:
    """Back the history ``source`` up into ``target`` and check it; its rooms and messages."""
    return _snapshot(source, target, _history_counts)


def _history_counts(dst: sqlite3.Connection) -> tuple[int, int]:
    """The copy's rooms and messages, once the messages the server had only journaled are in
    their place."""
    move_journal(dst)
    rooms = dst.execute("SELECT count(*) FROM rooms").fetchone()[0]
    messages = dst.execute("SELECT count(*) FROM messages").fetchone()[0]
    return int(rooms), int(messages)


def _files_count(dst: sqlite3.Connection) -> int:
    return int(dst.execute("SELECT count(*) FROM uploads WHERE complete = 1").fetchone()[0])


def _snapshot(source: Path, target: Path, inspect: Callable[[sqlite3.Connection], _T]) -> _T:
    """Back ``source`` up into ``target`` (one step, so one consistent snapshot), ``inspect``
    the copy and check it."""
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True)
    try:
        src.execute("PRAGMA busy_timeout=5000")
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            # A backup is one self-contained file: no write-ahead log beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
            found = inspect(dst)
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"the copy fails its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    return found


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _store_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")
    parser.add_argument(
        "--db",
        metavar="DB",
        help="the message store: SQLite file path, sqlite:///path or postgresql://..."
        " (default: the db setting, data/roomcast.db)",
    )


def add_commands(commands: Any) -> None:
    """Add ``rooms``, ``history`` and ``backup`` to the ``roomcast`` command's subparsers."""
    rooms = commands.add_parser("rooms", help="list, create or delete rooms")
    room_actions = rooms.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = room_actions.add_parser("list", help="list the rooms with their last ID and topic")
    listing.add_argument("--json", action="store_true", help="print one JSON array")
    _store_flags(listing)
    create = room_actions.add_parser("create", help="create a room before anyone posts to it")
    create.add_argument("name", help="the room name")
    create.add_argument("--topic", default="", help="the room's topic (one line)")
    _store_flags(create)
    delete = room_actions.add_parser(
        "delete", help="delete a room and its whole history (its IDs are never reused)"
    )
    delete.add_argument("name", help="the room name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _store_flags(delete)

    history = commands.add_parser("history", help="export or import a room's history (NDJSON)")
    history_actions = history.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = history_actions.add_parser(
        "export", help="write a room's messages as NDJSON, oldest first"
    )
    export.add_argument("room", help="the room name")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    _store_flags(export)
    load = history_actions.add_parser(
        "import",
        help="store the messages of an NDJSON export, keeping their IDs (safe to repeat)",
    )
    load.add_argument("file", metavar="FILE", help="the NDJSON file, or - for stdin")
    load.add_argument("--room", help="import every message into this room instead")
    _store_flags(load)

    copy = commands.add_parser(
        "backup", help="copy the SQLite database to PATH, safely while the server runs"
    )
    copy.add_argument("path", metavar="PATH", help="the backup file, or a directory for it")
    copy.add_argument("--force", action="store_true", help="replace PATH if it exists")
    _store_flags(copy)
