"""``roomcast broadcast``: post a system message to one room or every room of a running server.

It finds the server by, in order: ``--url``; ``--host``/``--port`` when given as flags; the
address file the server running from ``--data-dir`` wrote (``roomcast.ops.address``); the host
and port settings. It authenticates with ``--api-key`` or the key the server generated into the
data directory.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Final

from roomcast.ops import address
from roomcast.ops.config import Settings

# The settings broadcast reads, with their help; it shows no flag for the others.
SETTINGS: Final = {
    "host": "the server's host, when not from the address file",
    "port": "the server's port, when not from the address file",
    "data_dir": "the server's data directory: its address file and generated API key",
    "api_key": "the server's API key, when not the one generated into --data-dir",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of its own; cli adds the SETTINGS flags."""
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--room", help="the room to post to (default: default)")
    target.add_argument("--all", action="store_true", help="post to every room")
    parser.add_argument("text", help="the message text")
    parser.add_argument(
        "--url",
        help="server base URL (default: the address the server running from --data-dir"
        " recorded in its server.json, else from --host and --port)",
    )


def base_url(settings: Settings, args: argparse.Namespace) -> tuple[str, str]:
    """The server's base URL, and where it came from (for error messages)."""
    if args.url:
        return args.url.rstrip("/"), "--url"
    if args.host is None and args.port is None:
        recorded = address.read(settings)
        if recorded is not None:
            return recorded, str(address.path(settings))
    return address.local_url(settings.host, settings.port, tls=False), "host and port settings"


def _api_key(settings: Settings) -> str | None:
    if settings.api_key:
        return settings.api_key
    try:
        return settings.admin_key_path.read_text().strip()
    except OSError:
        return None


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Post the text; print what was posted. 0 done, 1 refused or unreachable, 2 no key."""
    base, source = base_url(settings, args)
    key = _api_key(settings)
    if key is None:
        print(
            f"roomcast: no API key: set api_key (--api-key, ROOMCAST_API_KEY) or give the"
            f" server's --data-dir, where it keeps {settings.admin_key_path}",
            file=sys.stderr,
        )
        return 2
    if args.all:
        path = "/api/broadcast"
    else:
        room = urllib.parse.quote(args.room or "default", safe="")
        path = f"/api/rooms/{room}/messages"
    request = urllib.request.Request(
        base + path,
        data=json.dumps({"text": args.text}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            error = json.load(exc)["error"]
            detail = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            detail = exc.reason
        print(f"roomcast: the server refused the broadcast ({exc.code}) {detail}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        print(
            f"roomcast: cannot reach the server at {base} (from {source}): {reason}; no server"
            f" runs from the data directory {settings.data_dir}: give --port PORT (or --url URL)"
            " of the running server, or its --data-dir",
            file=sys.stderr,
        )
        return 1
    posted = result.get("messages", [result])
    for message in posted:
        print(f"posted to {message['room']} as message {message['id']}")
    if not posted:
        print("no rooms to post to")
    return 0
