"""Identities: accounts with argon2 passwords, login sessions, API tokens and JWT connection tokens.

A request proves who it is with one of:

- a session cookie (``roomcast_session``), set by ``POST /api/login`` for the web client;
- an API token (``rc_...``) that a user created for a bot, as ``Authorization: Bearer`` or
  ``token=`` in the WebSocket URL;
- a JWT signed by the site roomcast is embedded in (HS256 with ``jwt_secret`` or RS256 with
  ``jwt_public_key``), carrying ``sub`` (the user's ID on that site), ``name`` and ``exp``, in the
  same two places, like Centrifugo's connection tokens;
- the server's API key (REST only), which makes the caller a server admin.

Secrets are random (256 bits) and only their SHA-256 is stored, so a copy of the database lets no
one log in; passwords are stored as argon2id hashes (argon2-cffi's RFC 9106 parameters), checked
in a thread because a check takes tens of milliseconds on purpose.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from roomcast.clock import SYSTEM_CLOCK, Clock
from roomcast.ops.config import Settings
from roomcast.record import record
from roomcast.store import Account, Credential, Store
from roomcast.wire import protocol
from roomcast.wire.protocol import ProtocolError

SESSION_COOKIE: Final = "roomcast_session"
TOKEN_PREFIX: Final = "rc_"
SESSION_PREFIX: Final = "rcs_"
MIN_PASSWORD_CHARS: Final = 8
MAX_PASSWORD_CHARS: Final = 1024
MAX_LABEL_CHARS: Final = 64
MAX_JWT_NAME_CHARS: Final = 64
MAX_JWT_SUBJECT_CHARS: Final = 128


@record
class Identity:
    """Who is behind a connection or a request. Guests have no ``account_id``.

    ``via`` says how it was proven: "guest", "session", "token", "jwt" or "api_key";
    ``credential_id`` names the session or token, so logging out can close its connections.
    """

    account_id: str | None = None
    name: str | None = None
    admin: bool = False
    via: str = "guest"
    credential_id: str | None = None

    @property
    def is_guest(self) -> bool:
        return self.account_id is None and not self.admin

    @property
    def label(self) -> str:
        """How the audit log and frames name this identity."""
        return self.name or "guest"


GUEST: Final = Identity()
API_KEY_IDENTITY: Final = Identity(None, "api", admin=True, via="api_key")


class AuthError(Exception):
    """Credentials missing, wrong, expired or refused; ``code`` and ``status`` for the answer."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def secret_hash(secret: str) -> str:
    """What the store keeps of a session or token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_cookie(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header (several headers arrive joined)."""
    for part in header.replace(",", ";").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value.strip('"')
    return None


class Authenticator:
    """Proves identities against the store, the JWT keys and the API key."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        api_key: str | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.api_key = api_key
        self.hasher = PasswordHasher()
        self._dummy_hash: str | None = None
        self._admins = frozenset(
            protocol.nick_key(name.strip()) for name in settings.admins.split(",") if name.strip()
        )
        self._jwt_keys: list[tuple[str, Any]] = []
        if settings.jwt_secret:
            self._jwt_keys.append(("HS256", settings.jwt_secret))
        if settings.jwt_public_key:
            pem = settings.jwt_public_key
            if not pem.lstrip().startswith("-----BEGIN"):
                pem = Path(pem).read_text()
            self._jwt_keys.append(("RS256", pem))

    def is_admin(self, name: str) -> bool:
        """Whether the ``admins`` setting names ``name``."""
        return protocol.nick_key(name) in self._admins

    def account_is_admin(self, account: Account) -> bool:
        """Whether the account is a server admin: by its flag or by the ``admins`` setting."""
        return account.admin or self.is_admin(account.name)

    # -- proving who someone is -----------------------------------------------------------------

    async def identify(
        self, headers: Mapping[str, str], query: Mapping[str, str], *, api_key_allowed: bool
    ) -> Identity:
        """The identity a request presents; ``GUEST`` when it presents none.

        Raises ``AuthError`` when a token is presented but is not valid. A session cookie that
        is unknown or expired is ignored (the browser may keep an old one): the caller is a guest.
        """
        token = query.get("token") or None
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if token is None and scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        if token is not None:
            return await self._from_token(token, api_key_allowed)
        cookie = parse_cookie(headers.get("cookie", ""), SESSION_COOKIE)
        if cookie:
            found = await self.store.credential(secret_hash(cookie), self.clock.now_ms())
            if found is not None and found[0].kind == "session" and not found[1].disabled:
                credential, account = found
                return self._account_identity(account, "session", credential.id)
        return GUEST

    async def _from_token(self, token: str, api_key_allowed: bool) -> Identity:
        if (
            api_key_allowed
            and self.api_key
            and hmac.compare_digest(token.encode(), self.api_key.encode())
        ):
            return API_KEY_IDENTITY
        if token.startswith(TOKEN_PREFIX):
            found = await self.store.credential(secret_hash(token), self.clock.now_ms())
            if found is not None and found[0].kind == "token":
                credential, account = found
                if account.disabled:
                    raise AuthError("account_disabled", "this account is disabled", 403)
                return self._account_identity(account, "token", credential.id)
            raise AuthError("bad_token", "the API token is unknown or revoked")
        if token.count(".") == 2 and self._jwt_keys:
            return self._from_jwt(token)
        raise AuthError("bad_token", "the token is not valid")

    def _account_identity(self, account: Account, via: str, credential_id: str) -> Identity:
        admin = self.account_is_admin(account)
        return Identity(account.id, account.name, admin, via, credential_id)

    def _from_jwt(self, token: str) -> Identity:
        """A JWT identity: ``sub`` and ``name`` from a token signed with a configured key."""
        failure = "the token's signature does not match a configured key"
        for algorithm, key in self._jwt_keys:
            try:
                claims = jwt.decode(
                    token, key, algorithms=[algorithm], options={"require": ["exp", "sub"]}
                )
            except jwt.ExpiredSignatureError:
                raise AuthError("token_expired", "the token has expired") from None
            except jwt.InvalidSignatureError:
                continue
            except jwt.InvalidTokenError as exc:
                failure = f"the token is not valid: {exc}"
                continue
            subject, name = claims.get("sub"), claims.get("name", claims.get("sub"))
            if not isinstance(subject, str) or not 0 < len(subject) <= MAX_JWT_SUBJECT_CHARS:
                raise AuthError("bad_token", "the token's sub must be a string of 1-128 characters")
            if not isinstance(name, str) or not 0 < len(name) <= MAX_JWT_NAME_CHARS:
                raise AuthError("bad_token", "the token's name must be a string of 1-64 characters")
            return Identity(f"jwt:{subject}", name, self.is_admin(name), "jwt")
        raise AuthError("bad_token", failure)

    # -- accounts -------------------------------------------------------------------------------

    async def register(self, name: str, password: str) -> Account:
        """Create an account; ``ProtocolError`` for a bad name, ``AuthError`` (409) when taken."""
        name = protocol.validate_nick(name)
        check_password(password)
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        account = Account(
            secrets.token_hex(8), name, protocol.nick_key(name), password_hash, self.clock.now_ms()
        )
        if not await self.store.create_account(account):
            raise AuthError("nick_registered", f"the name {name!r} is already registered", 409)
        return account

    async def check_password(self, name: str, password: str) -> Account:
        """The account with this name and password, or ``AuthError`` (the same for both causes)."""
        try:
            key = protocol.nick_key(protocol.validate_nick(name))
        except ProtocolError:
            key = ""
        account = await self.store.account_by_key(key) if key else None
        stored = account.password_hash if account is not None else await self._dummy()
        try:
            await asyncio.to_thread(self.hasher.verify, stored, password[:MAX_PASSWORD_CHARS])
        except (VerificationError, InvalidHashError):
            account = None
        if account is None:
            raise AuthError("bad_credentials", "wrong name or password")
        if account.disabled:  # said only to who knows the password
            raise AuthError("account_disabled", "this account is disabled", 403)
        return account

    async def _dummy(self) -> str:
        """A hash to check unknown names against, so they take as long as known ones."""
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self.hasher.hash, secrets.token_hex(8))
        return self._dummy_hash

    async def start_session(self, account: Account) -> tuple[str, Credential]:
        """A new login session: its secret (for the cookie) and its stored form."""
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        created = self.clock.now_ms()
        credential = Credential(
            secrets.token_hex(8),
            "session",
            account.id,
            secret_hash(secret),
            "",
            created,
            created + int(self.settings.session_ttl * 1000),
        )
        await self.store.add_credential(credential)
        return secret, credential

    async def create_token(self, identity: Identity, label: str) -> tuple[str, Credential]:
        """A new API token of the identity's account: its secret (shown once) and stored form."""
        if identity.account_id is None or identity.via == "jwt":
            raise AuthError("login_required", "API tokens belong to registered accounts", 403)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        credential = Credential(
            secrets.token_hex(8),
            "token",
            identity.account_id,
            secret_hash(secret),
            label,
            self.clock.now_ms(),
            None,
        )
        await self.store.add_credential(credential)
        return secret, credential


def check_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise AuthError(
            "weak_password",
            f"a password has {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters",
            400,
        )
