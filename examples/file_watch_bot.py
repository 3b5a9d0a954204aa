"""File-watch bot: posts a line to a room whenever a file changes.

    python examples/file_watch_bot.py /var/log/deploy.log --url ws://127.0.0.1:8000/ws --room ops

It polls the file's modification time and size (no extra dependencies, works on every OS), and
says when the file appears, changes or disappears. With ``--tail`` it posts the lines appended
since the last look instead (at most ``--max-lines`` at a time). Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from pathlib import Path

from roomcast.client import ChatClient, ChatError, connect


def snapshot(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of the file, or None when it does not exist."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size


def appended_lines(path: Path, offset: int, max_lines: int) -> tuple[list[str], int]:
    """The complete lines written after ``offset``, and the offset after them."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(1024 * 1024)
    end = data.rfind(b"\n") + 1
    lines = data[:end].decode("utf-8", errors="replace").splitlines()
    return [line for line in lines if line.strip()][-max_lines:], offset + end


async def say(chat: ChatClient, room: str, text: str) -> None:
    try:
        await chat.send(text, room=room)
    except ChatError as exc:
        print(f"could not post: {exc}", flush=True)


async def watch(args: argparse.Namespace) -> None:
    path = Path(args.file)
    async with connect(args.url, nick=args.nick, room=args.room) as chat:
        last = snapshot(path)
        offset = last[1] if last else 0
        print(f"watching {path} for {args.room} as {chat.nick}", flush=True)
        while True:
            await asyncio.sleep(args.interval)
            now = snapshot(path)
            if now == last:
                continue
            if now is None:
                await say(chat, args.room, f"{path.name} was removed")
            elif last is None:
                await say(chat, args.room, f"{path.name} appeared ({now[1]} bytes)")
                offset = 0 if args.tail else now[1]
            elif args.tail:
                if now[1] < offset:
                    offset = 0  # truncated or rotated: start again from the top
                lines, offset = appended_lines(path, offset, args.max_lines)
                for line in lines:
                    await say(chat, args.room, f"{path.name}: {line}")
            else:
                await say(chat, args.room, f"{path.name} changed ({now[1]} bytes)")
            last = now


def main() -> None:
    parser = argparse.ArgumentParser(description="Post to a roomcast room when a file changes.")
    parser.add_argument("file", help="the file to watch")
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws", help="server URL")
    parser.add_argument("--room", default="default", help="the room to post to")
    parser.add_argument("--nick", default=f"watch-{os.getpid()}", help="the bot's nickname")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks")
    parser.add_argument("--tail", action="store_true", help="post the appended lines")
    parser.add_argument("--max-lines", type=int, default=20, help="with --tail: lines per look")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(watch(args))


if __name__ == "__main__":
    main()
