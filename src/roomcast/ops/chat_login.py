"""``roomcast chat --login NAME``: a password login that is asked for once and kept.

The password is asked without echo (``getpass``: the terminal, or with none the first line of
stdin) and sent to ``POST /api/login``; with the session that answers, ``POST /api/tokens`` makes
an API token labelled ``roomcast chat``, the credential the WebSocket takes as ``token=`` and that
outlives the session. The token is kept in ``credentials.json`` of the user's config directory
(``$XDG_CONFIG_HOME/roomcast``, else ``~/.config/roomcast``; directory 0700, file 0600), keyed by
server URL and account name, and reused without asking. A kept token the server refuses is
forgotten; the password is then asked again on a terminal, and without one the command fails.
"""

from __future__ import annotations

import getpass
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

LABEL = "roomcast chat"


class LoginError(Exception):
    """The login failed: the message says why, for the command line."""


def config_dir() -> Path:
    """Where the user's roomcast settings and credentials live."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "roomcast"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def _kept() -> dict[str, dict[str, str]]:
    try:
        kept = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _keep(base: str, name: str, token: str | None) -> None:
    kept = _kept()
    tokens = kept.setdefault(base, {})
    if token is None:
        tokens.pop(name, None)
    else:
        tokens[name] = token
    folder = config_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    scratch = folder / f".credentials.json.{os.getpid()}"
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(kept, out)
    scratch.replace(credentials_path())


def _call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """The JSON answer of one REST call, and its Set-Cookie; ``HTTPError`` for a 4xx/5xx."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    with urllib.request.urlopen(request, timeout=15) as answer:
        return json.loads(answer.read() or b"null"), answer.headers.get("Set-Cookie", "")


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read())["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {exc.code}"


def _valid(base: str, name: str, token: str) -> bool:
    try:
        me, _ = _call("GET", f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return False
        raise LoginError(f"the server at {base} answered {_reason(exc)}") from None
    return isinstance(me, dict) and me.get("name") == name


def _log_in(base: str, name: str, password: str) -> str:
    try:
        _, cookie = _call("POST", f"{base}/api/login", {"name": name, "password": password})
        session = cookie.split(";", 1)[0]
        made, _ = _call("POST", f"{base}/api/tokens", {"label": LABEL}, {"Cookie": session})
    except urllib.error.HTTPError as exc:
        raise LoginError(f"the login as {name!r} was refused ({_reason(exc)})") from None
    return str(made["token"])


def interactive() -> bool:
    """Whether a person can be asked (a terminal to read a password from)."""
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def token_for(
    base: str,
    name: str,
    *,
    ask: Callable[[str], str] = getpass.getpass,
    can_ask: Callable[[], bool] = interactive,
) -> str:
    """The API token that signs ``name`` in at the server ``base``: kept, or made by a login."""
    try:
        kept = _kept().get(base, {}).get(name)
        if kept is not None:
            if _valid(base, name, kept):
                return kept
            _keep(base, name, None)
            if not can_ask():
                raise LoginError(
                    f"the kept credential of {name!r} at {base} was refused (revoked?);"
                    " run `roomcast chat --login` in a terminal to log in again"
                )
        token = _log_in(base, name, ask(f"password of {name} at {base}: "))
    except (urllib.error.URLError, OSError) as exc:
        raise LoginError(f"cannot reach the server at {base}: {exc}") from None
    except EOFError:
        raise LoginError(f"no password was given for {name!r}") from None
    _keep(base, name, token)
    return token
