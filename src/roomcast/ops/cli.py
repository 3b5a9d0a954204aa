"""The ``roomcast`` command: ``serve`` runs a server, ``broadcast`` talks to a running one.

``chat`` is the terminal client (see ``roomcast.ops.chat_command``); ``rooms``, ``history`` and
``backup`` administer the message store (see ``roomcast.ops.admin``).

Every setting of ``config.Settings`` is a flag of ``serve`` (``max_text_chars`` is
``--max-text-chars``); ``--config FILE`` names a TOML file. Errors print one line to stderr and
exit with a non-zero status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from roomcast import __version__
from roomcast.ops import admin, chat_command
from roomcast.ops import broadcast as broadcast_command
from roomcast.ops.config import ConfigError, Settings, load, parse_bool
from roomcast.ops.logs import setup_logging

_FLAG_HELP = {
    "host": "address to listen on",
    "port": "TCP port to listen on",
    "db": "message store: SQLite file path, sqlite:///path, postgresql://USER@HOST/DB or memory://",
    "broker": "broker URL: memory:// (one process) or redis://HOST:6379/0 (many)",
    "redis_prefix": "prefix of every Redis key and channel (one per deployment)",
    "presence_ttl": "seconds until a silent node's users leave the user lists (Redis)",
    "store_timeout": "seconds a PostgreSQL statement may take before it fails (a hung store)",
    "store_queue_bytes": "bytes of lines waiting for the store, at most (then refused)",
    "broker_timeout": "seconds a Redis call may take before it fails (a hung Redis)",
    "broker_queue_bytes": "bytes of publications waiting for Redis, at most (oldest dropped)",
    "workers": "server processes sharing the port (above 1 needs Redis and PostgreSQL)",
    "data_dir": "directory for the generated API key and the running server's address file",
    "api_key": "API key for REST writes and `roomcast broadcast`",
    "allow_guests": "let people without an account connect (true/false)",
    "allow_registration": "let people create accounts with POST /api/register (true/false)",
    "admins": "comma-separated account names that are server admins",
    "session_ttl": "seconds a login session lasts",
    "jwt_secret": "HS256 secret that signs JWT connection tokens (32+ characters)",
    "jwt_public_key": "RS256 public key (PEM file) that verifies JWT connection tokens",
    "kick_seconds": "seconds a kicked user may not rejoin the room",
    "rate_logins": "login attempts per client address: RATE/BURST",
    "userlist_max": "rooms over this many members get the first names and Count; Members pages",
}


def _add_settings_flags(
    parser: argparse.ArgumentParser,
    only: Mapping[str, str] | None = None,
) -> None:
    """A flag per setting, and ``--config``; ``only`` names the settings, with their help."""
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")
    for setting in fields(Settings):
        if only is not None and setting.name not in only:
            continue
        parsers: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "bool": parse_bool}
        kind = parsers.get(str(setting.type), str)
        parser.add_argument(
            f"--{setting.name.replace('_', '-')}",
            dest=setting.name,
            type=kind,
            default=None,
            metavar=setting.name.upper(),
            help=f"{(only or _FLAG_HELP).get(setting.name, setting.name.replace('_', ' '))}"
            f" (default: {setting.default})",
        )


def _settings(args: argparse.Namespace) -> Settings:
    flags = {f.name: getattr(args, f.name, None) for f in fields(Settings)}
    return load(flags, config_file=args.config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roomcast", description="Real-time WebSocket chat server."
    )
    parser.add_argument("--version", action="version", version=f"roomcast {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the chat server")
    _add_settings_flags(serve)

    broadcast = commands.add_parser(
        "broadcast", help="send a system message to one room or every room of a running server"
    )
    broadcast_command.add_arguments(broadcast)
    _add_settings_flags(broadcast, only=broadcast_command.SETTINGS)

    chat = commands.add_parser("chat", help="chat from the terminal (or --plain for scripts)")
    chat_command.add_arguments(chat)
    _add_settings_flags(chat, only=chat_command.SETTINGS)

    migrate = commands.add_parser(
        "migrate", help="bring the database schema of --db up to date, then exit"
    )
    _add_settings_flags(migrate)
    admin.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        settings = _settings(args)
    except ConfigError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(settings)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "chat":
        return chat_command.run(settings, args)
    if args.command in ("rooms", "history", "backup"):
        return admin.run(args, settings)
    return broadcast_command.run(settings, args)


def _serve(settings: Settings) -> int:
    from roomcast.ops.serve import install_uvloop

    setup_logging(settings.log_level, settings.log_format)
    install_uvloop()
    if settings.workers > 1:
        from roomcast.ops import supervisor
        from roomcast.ops.serve import load_api_key

        load_api_key(settings)  # generated once here, not raced by the workers
        return supervisor.run(settings, _serve_one)
    return _serve_one(settings)


def _serve_one(settings: Settings) -> int:
    from roomcast.ops.serve import serve
    from roomcast.store import StoreUnavailable

    try:
        asyncio.run(serve(settings))
    except ValueError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _migrate(settings: Settings) -> int:
    from roomcast.store import StoreUnavailable, open_store

    url = settings.db
    try:
        if url.startswith(("postgresql://", "postgres://")):
            from roomcast.store.postgres import migrate

            applied, version = asyncio.run(migrate(url))
            for migration in applied:
                print(f"applied migration {migration.version:04d} {migration.name}")
            print(f"schema at version {version}")
            return 0
        store = open_store(url, synchronous=settings.sqlite_synchronous)
    except (ValueError, StoreUnavailable) as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 1

    async def open_and_close() -> None:  # SQLite applies its migrations when opened
        await store.open()
        await store.close()

    asyncio.run(open_and_close())
    print(f"schema of {url} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
