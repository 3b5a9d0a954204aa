"""Echo bot: repeats every new line said in its rooms.

    python examples/echo_bot.py ws://127.0.0.1:8000/ws --room default --nick echo

It answers live messages and messages it missed while reconnecting, never the backlog a first
join replays, never itself, and never a line that is already an echo (so two echo bots in one room
do not talk forever). Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from roomcast.client import ChatError, Connected, Message, connect


async def echo(url: str, room: str, nick: str, prefix: str) -> None:
    async with connect(url, nick=nick, room=room) as chat:
        async for event in chat:
            if isinstance(event, Connected):
                print(f"connected to {event.room} as {event.nick}", flush=True)
            elif isinstance(event, Message):
                if event.backlog or event.author == chat.nick or event.text.startswith(prefix):
                    continue
                try:
                    await chat.send(f"{prefix}{event.text}", room=event.room)
                except ChatError as exc:
                    print(f"could not echo message {event.id}: {exc}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Repeat every line said in a roomcast room.")
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:8000/ws", help="server URL")
    parser.add_argument("--room", default="default", help="the room to listen to")
    parser.add_argument("--nick", default="echo-bot", help="the bot's nickname")
    parser.add_argument("--prefix", default="echo: ", help="put before every echoed line")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(echo(args.url, args.room, args.nick, args.prefix))


if __name__ == "__main__":
    main()
