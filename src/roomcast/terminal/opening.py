"""The first connection of ``roomcast chat``, in both modes, and what to say when it fails."""

from __future__ import annotations

from roomcast.client import ChatClient, ChatError, connect
from roomcast.terminal.options import ChatOptions


class CannotConnect(Exception):
    """The first connection failed; the message says why, for the person at the terminal."""


async def open_chat(options: ChatOptions) -> ChatClient:
    """A client connected to ``options.url`` in the first of ``options.rooms``."""
    try:
        return await connect(options.url, nick=options.nick, room=options.rooms[0])
    except ChatError as exc:
        raise CannotConnect(
            f"the server refused room {options.rooms[0]!r} ({exc.code}): {exc.message}"
        ) from exc
    except Exception as exc:  # the library's connection errors: OSError, aiohttp's, timeouts
        raise CannotConnect(
            f"cannot reach the server at {options.url}: {exc or type(exc).__name__}"
        ) from exc
