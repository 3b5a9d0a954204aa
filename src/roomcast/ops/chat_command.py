"""``roomcast chat``: its flags, and the options they resolve to for the terminal client.

The server is, in order: the URL argument; the address file of the server running from
``--data-dir`` (``roomcast.ops.address``); the host and port settings (``http://127.0.0.1:8000``).
``--token``, or the token ``--login`` keeps (``roomcast.ops.chat_login``), travels in the WebSocket
URL's query as ``token=``. ``NO_COLOR`` in the environment
turns colour off. The full-screen mode needs Textual (the ``tui`` extra), imported only then; the
line modes (``--plain``, ``--json``) need nothing more.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import urllib.parse
from typing import Final

from roomcast.ops import address, chat_login
from roomcast.ops.config import Settings
from roomcast.terminal.options import ChatOptions, Mode

# The settings chat reads, with their help; it shows no flag for the others.
SETTINGS: Final = {
    "host": "the server's host, when no URL is given and no address file is found",
    "port": "the server's port, when no URL is given and no address file is found",
    "data_dir": "the data directory of a local server, whose address file names its URL",
}

INSTALL_HINT: Final = (
    "the full-screen client needs Textual: pip install 'roomcast[tui]'"
    " (or use --plain or --json, which need nothing more)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of its own; cli adds the SETTINGS flags."""
    parser.add_argument("url", nargs="?", help="the server's URL (default: the local server)")
    parser.add_argument(
        "--room", action="append", dest="rooms", metavar="ROOM", help="a room to join (repeatable)"
    )
    parser.add_argument("--nick", help="the nickname to ask for")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--token", help="sign in with an API token or a JWT connection token")
    who.add_argument(
        "--login", metavar="NAME", help="sign in as account NAME (password asked once, then kept)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plain", action="store_true", help="line mode: stdin out, lines in")
    mode.add_argument("--json", action="store_true", help="line mode, one JSON object a line")
    parser.add_argument("--no-bell", action="store_true", help="no terminal bell on a mention")


def server_url(settings: Settings, given: str | None) -> str:
    """The server's base URL: ``given``, else the running local server's, else host and port."""
    if given:
        return given
    if settings.host == "127.0.0.1" and settings.port == 8000:
        recorded = address.read(settings)
        if recorded is not None:
            return recorded
    return address.local_url(settings.host, settings.port, tls=False)


def options(settings: Settings, args: argparse.Namespace) -> ChatOptions:
    """What the command line asked for; ``ValueError`` for a URL that is not a server's,
    ``LoginError`` for a failed ``--login``."""
    url = server_url(settings, args.url)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise ValueError(f"not a server URL: {url!r}")
    token = args.token
    if args.login:
        scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        token = chat_login.token_for(f"{scheme}://{parts.netloc}", args.login)
    if token:
        query = [*urllib.parse.parse_qsl(parts.query), ("token", token)]
        url = parts._replace(query=urllib.parse.urlencode(query)).geturl()
    mode: Mode = "json" if args.json else "plain" if args.plain else "full"
    return ChatOptions(
        url=url,
        rooms=tuple(args.rooms or ("default",)),
        nick=args.nick,
        mode=mode,
        bell=not args.no_bell,
        color="NO_COLOR" not in os.environ,
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the terminal client as asked; 2 for a bad command line or a missing Textual."""
    try:
        chosen = options(settings, args)
    except ValueError as exc:
        print(f"roomcast chat: {exc}", file=sys.stderr)
        return 2
    except chat_login.LoginError as exc:
        print(f"roomcast chat: {exc}", file=sys.stderr)
        return 1
    if chosen.mode != "full":
        from roomcast.terminal import plain

        return plain.run(chosen)
    if not _textual_installed():
        print(f"roomcast chat: {INSTALL_HINT}", file=sys.stderr)
        return 2
    app = importlib.import_module("roomcast.terminal.app")
    result: int = app.run(chosen)
    return result


def _textual_installed() -> bool:
    try:
        return importlib.util.find_spec("textual") is not None
    except ValueError:  # sys.modules["textual"] is None: blocked
        return False
