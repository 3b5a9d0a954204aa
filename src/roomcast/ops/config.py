"""One typed settings object, read from flags, ``ROOMCAST_*`` variables and a TOML file.

Precedence, highest first: command-line flags, environment variables, the TOML file (``--config``
or ``ROOMCAST_CONFIG``), built-in defaults. Every setting has the same name everywhere: the TOML
key ``max_text_chars`` is the variable ``ROOMCAST_MAX_TEXT_CHARS`` and the flag
``--max-text-chars``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from roomcast.ratelimit import Rate
from roomcast.record import record
from roomcast.wire import protocol


class ConfigError(Exception):
    """A setting has a value that cannot be used; the message names the setting and the source."""


@record
class Settings:
    """Every knob of a roomcast server, with its default."""

    host: str = "127.0.0.1"
    port: int = 8000
    db: str = "data/roomcast.db"
    broker: str = "memory://"
    redis_prefix: str = "roomcast:"
    presence_ttl: float = 15.0
    store_timeout: float = 5.0
    store_queue_bytes: int = 64 * 1024 * 1024
    broker_timeout: float = 5.0
    broker_queue_bytes: int = 64 * 1024 * 1024
    workers: int = 1
    sqlite_synchronous: str = "NORMAL"
    search_index: bool = True
    data_dir: str = "data"
    api_key: str = ""
    history_on_join: int = 50
    resume_limit: int = 10_000
    max_text_chars: int = protocol.MAX_TEXT_CHARS
    max_frame_bytes: int = protocol.MAX_FRAME_BYTES
    max_rooms_per_connection: int = 20
    ping_interval: float = 15.0
    userlist_interval: float = 0.05
    userlist_max: int = protocol.DEFAULT_USERLIST_MAX
    write_buffer_high_water: int = 4 * 1024 * 1024
    rate_messages: str = "10/30"
    rate_messages_per_ip: str = "50/150"
    rate_joins: str = "2/20"
    rate_nicks: str = "0.5/5"
    rate_searches: str = "1/10"
    flood_limit: int = 50
    allowed_origins: str = ""
    max_connections: int = 10_000
    max_connections_per_ip: int = 100
    header_timeout: float = 10.0
    certfile: str = ""
    keyfile: str = ""
    allow_guests: bool = True
    allow_registration: bool = True
    admins: str = ""
    session_ttl: float = 30 * 24 * 3600.0
    jwt_secret: str = ""
    jwt_public_key: str = ""
    kick_seconds: float = 60.0
    rate_logins: str = "0.2/10"
    shutdown_timeout: float = 5.0
    restart_spread: float = 5.0
    log_level: str = "INFO"
    log_format: str = "text"
    notify_webhook_url: str = ""
    notify_webhook_secret: str = ""
    notify_delay: float = 60.0
    max_upload_bytes: int = 10 * 1024 * 1024
    upload_quota_bytes: int = 200 * 1024 * 1024
    upload_unattached_ttl: float = 86400.0

    def validate(self) -> Settings:
        """Reject values that cannot work; return self for chaining."""
        checks: list[tuple[bool, str]] = [
            (0 <= self.port <= 65535, "port must be 0-65535"),
            (
                0 <= self.history_on_join <= protocol.MAX_HISTORY_LIMIT,
                f"history_on_join must be 0-{protocol.MAX_HISTORY_LIMIT}",
            ),
            (self.resume_limit >= 1, "resume_limit must be at least 1"),
            (0 <= self.restart_spread <= 60, "restart_spread must be 0-60"),
            (1 <= self.max_text_chars <= 100_000, "max_text_chars must be 1-100000"),
            (
                1024 <= self.max_frame_bytes <= 16 * 1024 * 1024,
                "max_frame_bytes must be 1024-16777216",
            ),
            (self.max_rooms_per_connection >= 1, "max_rooms_per_connection must be at least 1"),
            (self.ping_interval > 0, "ping_interval must be positive"),
            (0 <= self.userlist_interval <= 10, "userlist_interval must be 0-10 seconds"),
            (self.userlist_max >= 1, "userlist_max must be at least 1"),
            (
                self.write_buffer_high_water >= 64 * 1024,
                "write_buffer_high_water must be at least 65536",
            ),
            (self.log_format in ("text", "json"), "log_format must be text or json"),
            (self.flood_limit >= 1, "flood_limit must be at least 1"),
            (self.max_connections >= 1, "max_connections must be at least 1"),
            (self.max_connections_per_ip >= 1, "max_connections_per_ip must be at least 1"),
            (self.header_timeout > 0, "header_timeout must be positive"),
            (bool(self.certfile) == bool(self.keyfile), "certfile and keyfile go together"),
            (self.session_ttl >= 60, "session_ttl must be at least 60 seconds"),
            (self.kick_seconds >= 0, "kick_seconds must not be negative"),
            (
                not self.jwt_secret or len(self.jwt_secret) >= 32,
                "jwt_secret must be at least 32 characters",
            ),
            (
                self.log_level.upper() in ("DEBUG", "INFO", "WARNING", "ERROR"),
                "log_level must be DEBUG, INFO, WARNING or ERROR",
            ),
            (
                self.sqlite_synchronous.upper() in ("OFF", "NORMAL", "FULL", "EXTRA"),
                "sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA",
            ),
        ]
        checks += [
            (1 <= self.presence_ttl <= 300, "presence_ttl must be 1-300 seconds"),
            (0.5 <= self.store_timeout <= 300, "store_timeout must be 0.5-300 seconds"),
            (0.5 <= self.broker_timeout <= 300, "broker_timeout must be 0.5-300 seconds"),
            (0 <= self.shutdown_timeout <= 600, "shutdown_timeout must be 0-600 seconds"),
            (
                self.store_queue_bytes >= 1024 * 1024,
                "store_queue_bytes must be at least 1048576",
            ),
            (
                self.broker_queue_bytes >= 1024 * 1024,
                "broker_queue_bytes must be at least 1048576",
            ),
            (1 <= self.workers <= 256, "workers must be 1-256"),
            (
                self.workers == 1 or self.broker.startswith(("redis://", "rediss://")),
                "workers above 1 need a shared broker: --broker redis://HOST:6379/0",
            ),
            (
                self.workers == 1 or self.db.startswith(("postgresql://", "postgres://")),
                "workers above 1 need a shared store: --db postgresql://USER@HOST/DB",
            ),
            (self.workers == 1 or self.port != 0, "workers above 1 need a fixed port, not 0"),
        ]
        checks += [
            (
                not self.notify_webhook_url or _is_http_url(self.notify_webhook_url),
                "notify_webhook_url must be an http:// or https:// URL",
            ),
            (
                not self.notify_webhook_url or len(self.notify_webhook_secret) >= 16,
                "notify_webhook_url needs a notify_webhook_secret of at least 16 characters",
            ),
            (self.notify_delay >= 0, "notify_delay must not be negative"),
            (self.max_upload_bytes >= 1, "max_upload_bytes must be at least 1"),
            (self.upload_quota_bytes >= 1, "upload_quota_bytes must be at least 1"),
            (self.upload_unattached_ttl >= 60, "upload_unattached_ttl must be at least 60 seconds"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        for name in (
            "rate_messages",
            "rate_messages_per_ip",
            "rate_joins",
            "rate_nicks",
            "rate_searches",
            "rate_logins",
        ):
            try:
                Rate.parse(getattr(self, name))
            except ValueError:
                raise ConfigError(
                    f"{name} must be RATE/BURST, e.g. 10/30 (RATE per second, 0 for no limit)"
                ) from None
        return self

    @property
    def admin_key_path(self) -> Path:
        """Where the server keeps its generated API key when ``api_key`` is not set."""
        return Path(self.data_dir) / "admin.key"


def _is_http_url(value: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port  # a port out of range raises
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


_TYPES = {f.name: f.type for f in fields(Settings)}


def parse_bool(value: str) -> bool:
    """A boolean setting's text: true/false, yes/no, on/off or 1/0."""
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ValueError(value)


def _coerce(name: str, value: Any, source: str) -> Any:
    kind = _TYPES[name]
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str):
                return parse_bool(value)
            raise ValueError
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if isinstance(value, str):
            return value
    except (TypeError, ValueError):
        pass
    what = {"str": "a string", "bool": "true or false"}.get(str(kind), "a number")
    raise ConfigError(f"{source}: {name} must be {what}")


def read_toml(path: Path) -> dict[str, Any]:
    """The settings of a TOML file; the keys may also sit under a ``[roomcast]`` table."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    table = data.get("roomcast", data)
    unknown = sorted(set(table) - set(_TYPES))
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return {key: _coerce(key, value, str(path)) for key, value in table.items()}


def read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as ``ROOMCAST_<NAME>`` variables."""
    found = {}
    for name in _TYPES:
        variable = f"ROOMCAST_{name.upper()}"
        if variable in environ:
            found[name] = _coerce(name, environ[variable], variable)
    return found


def load(
    flags: Mapping[str, Any] | None = None,
    *,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults < TOML file < environment < flags (None-valued flags are ignored)."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    config_path = config_file or environ.get("ROOMCAST_CONFIG")
    if config_path:
        merged.update(read_toml(Path(config_path)))
    merged.update(read_env(environ))
    for key, value in (flags or {}).items():
        if value is not None:
            merged[key] = _coerce(key, value, f"--{key.replace('_', '-')}")
    return dataclasses.replace(Settings(), **merged).validate()
