"""The line mode of ``roomcast chat`` (``--plain``, ``--json``): stdin lines out, live lines in.

Each non-empty line of stdin is sent to the first room (empty lines are skipped), one at a time:
the next goes once the server has stored the last (its ``Ack``), through the library's ``Ref``
idempotency, so a reconnect mid-stream neither loses nor repeats a line. Each live line of the
joined rooms (not the backlog a join replays) is printed as ``TIME ROOM AUTHOR: TEXT``, the time
in UTC as ``YYYY-MM-DDTHH:MM:SSZ``, or with ``--json`` as one object a line with the keys
``time`` (that same form), ``room``, ``id``, ``author`` and ``text``. At the end of stdin, once the
last line is acknowledged, it exits 0; a refused line, an unreachable server or a refused room
print one line on stderr and exit 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from datetime import UTC
from typing import TextIO

from roomcast.client import ChatClient, ChatError, ClientClosed, Event, Message
from roomcast.terminal.opening import CannotConnect, open_chat
from roomcast.terminal.options import ChatOptions


def format_line(message: Message, *, as_json: bool) -> str:
    """One incoming message as the line mode prints it."""
    when = message.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_json:
        fields = {
            "time": when,
            "room": message.room,
            "id": message.id,
            "author": message.author,
            "text": message.text,
        }
        return json.dumps(fields, ensure_ascii=False)
    return f"{when} {message.room} {message.author}: {message.text}"


def _print(event: Event, out: TextIO, *, as_json: bool) -> None:
    if isinstance(event, Message) and not event.backlog:
        out.write(format_line(event, as_json=as_json) + "\n")
        out.flush()


async def _print_live(chat: ChatClient, out: TextIO, *, as_json: bool) -> None:
    async for event in chat:
        _print(event, out, as_json=as_json)


async def _print_arrived(chat: ChatClient, out: TextIO, *, as_json: bool) -> None:
    """Print what arrived before a ``Ping``'s answer: the broadcasts of the lines sent."""
    await chat.ping()
    while True:
        try:
            _print(await chat.next_event(0.05), out, as_json=as_json)
        except TimeoutError:
            return


def _read_lines(source: TextIO) -> asyncio.Queue[str]:
    """The lines of ``source``, read by a daemon thread ("" at its end): a blocked read of a
    terminal does not hold up the exit on Ctrl+C."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = source.readline()
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if not line:
                return

    threading.Thread(target=read, name="stdin", daemon=True).start()
    return lines


async def _send_stdin(chat: ChatClient, room: str, source: TextIO) -> None:
    lines = _read_lines(source)
    while line := await lines.get():
        text = line.rstrip("\r\n")
        if text:
            await chat.send(text, room)


async def session(options: ChatOptions, source: TextIO, out: TextIO) -> int:
    """Run the line mode with ``source`` as its input and ``out`` as its output."""
    try:
        chat = await open_chat(options)
    except CannotConnect as exc:
        return _fail(str(exc))
    as_json = options.mode == "json"
    printer = asyncio.create_task(_print_live(chat, out, as_json=as_json))
    try:
        for room in options.rooms[1:]:
            await chat.join(room)
        await _send_stdin(chat, options.rooms[0], source)
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
        await _print_arrived(chat, out, as_json=as_json)
    except ChatError as exc:
        return _fail(f"the server refused a line ({exc.code}): {exc.message}")
    except ClientClosed as exc:
        return _fail(f"the connection to the server was lost: {exc}")
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
        await chat.aclose()
    return 0


def _fail(message: str) -> int:
    print(f"roomcast chat: {message}", file=sys.stderr)
    return 1


def run(options: ChatOptions) -> int:
    """The entry of ``roomcast chat --plain`` and ``--json``: stdin and stdout."""
    try:
        return asyncio.run(session(options, sys.stdin, sys.stdout))
    except KeyboardInterrupt:
        return 130
