"""Say hello in the room the web page opens, then print what is said there.

    .venv/bin/python examples/hello.py                      # after `make run`, nothing else
    .venv/bin/python examples/hello.py ws://127.0.0.1:8080/ws --nick ada

It uses roomcast's own client library (``roomcast.client``), which ``make run`` installs: it
reconnects and resumes by itself. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from roomcast.client import Message, connect


async def hello(url: str, nick: str) -> None:
    async with connect(url, nick=nick, room="default") as chat:
        await chat.send("hello")
        async for event in chat:
            if isinstance(event, Message):
                print(f"{event.author}: {event.text}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Say hello in the default room and listen.")
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:8000/ws", help="server URL")
    parser.add_argument("--nick", default="ada", help="the nickname to use")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(hello(args.url, args.nick))


if __name__ == "__main__":
    main()
