"""Proving identities on the memory store: guests, login sessions, API tokens, the API key,
JWTs signed with HS256 and RS256, and the password rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from roomcast.auth.identity import (
    API_KEY_IDENTITY,
    GUEST,
    MAX_PASSWORD_CHARS,
    SESSION_COOKIE,
    Authenticator,
    AuthError,
    Identity,
    parse_cookie,
    secret_hash,
)
from roomcast.ops.config import Settings
from roomcast.store import Credential
from roomcast.store.memory import MemoryStore
from roomcast.wire.protocol import ProtocolError

SECRET = "s" * 32
PASSWORD = "correct horse"


def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return private_key()


async def authenticator(**settings: Any) -> Authenticator:
    store = MemoryStore()
    await store.open()
    return Authenticator(Settings(**settings), store, api_key="the-api-key")


@pytest.fixture
async def auth() -> Authenticator:
    return await authenticator(admins="Chief, ops", jwt_secret=SECRET)


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# Tokens in parametrize lists are signed when the suite is collected, which can be many minutes
# before the test runs: they stay valid for an hour.
VALID_FOR = 3600


def signed(claims: dict[str, Any], key: Any = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode({"exp": int(time.time()) + VALID_FOR, **claims}, key, algorithm=algorithm)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("roomcast_session=abc", "abc"),
        ('a=1; roomcast_session="abc"; b=2', "abc"),
        ("a=1, roomcast_session=abc", "abc"),  # two Cookie headers joined
        ("roomcast_session=", None),
        ("roomcast_sessionx=abc", None),
        ("", None),
    ],
)
def test_parse_cookie(header: str, value: str | None) -> None:
    assert parse_cookie(header, SESSION_COOKIE) == value


def test_only_a_hash_of_a_secret_is_kept() -> None:
    assert secret_hash("rc_x") == secret_hash("rc_x")
    assert secret_hash("rc_x") != secret_hash("rc_y")
    assert len(secret_hash("rc_x")) == 64
    assert "rc_x" not in secret_hash("rc_x")


def test_guests_and_labels() -> None:
    assert GUEST.is_guest
    assert GUEST.label == "guest"
    assert not API_KEY_IDENTITY.is_guest
    assert not Identity("a1", "ann", via="session").is_guest
    assert Identity("a1", "ann").label == "ann"


async def test_nothing_presented_is_a_guest(auth: Authenticator) -> None:
    assert await auth.identify({}, {}, api_key_allowed=True) is GUEST
    cookie = {"cookie": f"{SESSION_COOKIE}=rcs_unknown"}
    assert await auth.identify(cookie, {}, api_key_allowed=True) is GUEST  # an old cookie


async def test_register_then_a_session(auth: Authenticator) -> None:
    account = await auth.register("  Ann ", PASSWORD)
    assert account.name == "Ann"
    assert account.password_hash != PASSWORD
    assert await auth.check_password("ann", PASSWORD) == account  # a look-alike name is the same
    secret, credential = await auth.start_session(account)
    assert secret.startswith("rcs_")
    assert credential.secret_hash == secret_hash(secret)
    assert credential.expires_ms == credential.created_ms + 30 * 24 * 3600 * 1000
    cookie = {"cookie": f"other=1; {SESSION_COOKIE}={secret}"}
    identity = await auth.identify(cookie, {}, api_key_allowed=False)
    assert identity == Identity(account.id, "Ann", False, "session", credential.id)
    # A session secret is not a bearer token.
    with pytest.raises(AuthError) as refused:
        await auth.identify(bearer(secret), {}, api_key_allowed=False)
    assert refused.value.code == "bad_token"


async def test_an_expired_session_is_a_guest(auth: Authenticator) -> None:
    account = await auth.register("Ben", PASSWORD)
    stale = Credential("c1", "session", account.id, secret_hash("rcs_old"), "", 0, 1000)
    await auth.store.add_credential(stale)
    cookie = {"cookie": f"{SESSION_COOKIE}=rcs_old"}
    assert await auth.identify(cookie, {}, api_key_allowed=False) is GUEST


async def test_api_tokens(auth: Authenticator) -> None:
    account = await auth.register("Bot Owner", PASSWORD)
    owner = Identity(account.id, account.name, via="session")
    secret, credential = await auth.create_token(owner, "ci bot")
    assert secret.startswith("rc_")
    assert credential.expires_ms is None
    assert credential.label == "ci bot"
    expected = Identity(account.id, "Bot Owner", False, "token", credential.id)
    assert await auth.identify(bearer(secret), {}, api_key_allowed=False) == expected
    assert await auth.identify({}, {"token": secret}, api_key_allowed=False) == expected
    # A token cookie is not a session.
    cookie = {"cookie": f"{SESSION_COOKIE}={secret}"}
    assert await auth.identify(cookie, {}, api_key_allowed=False) is GUEST
    assert await auth.store.delete_credential(credential.id, account.id)
    with pytest.raises(AuthError) as revoked:
        await auth.identify(bearer(secret), {}, api_key_allowed=False)
    assert (revoked.value.code, revoked.value.message, revoked.value.status) == (
        "bad_token",
        "the API token is unknown or revoked",
        401,
    )


async def test_the_url_token_wins_over_the_header(auth: Authenticator) -> None:
    with pytest.raises(AuthError):
        await auth.identify(bearer("the-api-key"), {"token": "rc_nope"}, api_key_allowed=True)


@pytest.mark.parametrize(
    "identity",
    [GUEST, Identity("jwt:7", "seven", via="jwt"), API_KEY_IDENTITY],
)
async def test_tokens_belong_to_registered_accounts(
    auth: Authenticator, identity: Identity
) -> None:
    with pytest.raises(AuthError) as refused:
        await auth.create_token(identity, "x")
    assert (refused.value.code, refused.value.status) == ("login_required", 403)


async def test_the_api_key_only_where_allowed(auth: Authenticator) -> None:
    assert await auth.identify(bearer("the-api-key"), {}, api_key_allowed=True) is API_KEY_IDENTITY
    with pytest.raises(AuthError) as refused:
        await auth.identify(bearer("the-api-key"), {}, api_key_allowed=False)
    assert refused.value.message == "the token is not valid"
    basic = {"authorization": "Basic the-api-key"}  # only Bearer carries a token
    assert await auth.identify(basic, {}, api_key_allowed=True) is GUEST


async def test_admins_are_named_in_the_settings(auth: Authenticator) -> None:
    account = await auth.register("CHIEF", PASSWORD)
    secret, _ = await auth.start_session(account)
    identity = await auth.identify(
        {"cookie": f"{SESSION_COOKIE}={secret}"}, {}, api_key_allowed=False
    )
    assert identity.admin
    assert auth.is_admin("Ops")
    assert not auth.is_admin("operator")


async def test_a_jwt_names_an_identity_of_its_site(auth: Authenticator) -> None:
    token = signed({"sub": "42", "name": "Ann Other"})
    identity = await auth.identify(bearer(token), {}, api_key_allowed=False)
    assert identity == Identity("jwt:42", "Ann Other", False, "jwt")
    unnamed = await auth.identify({}, {"token": signed({"sub": "ops"})}, api_key_allowed=False)
    assert (unnamed.name, unnamed.admin) == ("ops", True)  # the name defaults to sub


@pytest.mark.parametrize(
    ("token", "code", "message"),
    [
        (signed({"sub": "1", "exp": 1}), "token_expired", "the token has expired"),
        (
            jwt.encode({"sub": "1"}, SECRET, algorithm="HS256"),
            "bad_token",
            'the token is not valid: Token is missing the "exp" claim',
        ),
        (
            signed({"sub": "1"}, key="another secret of thirty-two chars"),
            "bad_token",
            "the token's signature does not match a configured key",
        ),
        (
            signed({"sub": "x" * 129}),
            "bad_token",
            "the token's sub must be a string of 1-128 characters",
        ),
        (
            signed({"sub": "1", "name": "n" * 65}),
            "bad_token",
            "the token's name must be a string of 1-64 characters",
        ),
        (signed({"sub": "1", "name": 5}), "bad_token", "the token's name must be a string"),
        (
            jwt.encode({"sub": "1", "exp": int(time.time()) + VALID_FOR}, None, algorithm="none"),
            "bad_token",
            "the token is not valid: The specified alg value is not allowed",
        ),
    ],
)
async def test_jwts_that_are_refused(
    auth: Authenticator, token: str, code: str, message: str
) -> None:
    with pytest.raises(AuthError) as refused:
        await auth.identify(bearer(token), {}, api_key_allowed=False)
    assert refused.value.code == code
    assert refused.value.message.startswith(message)
    assert refused.value.status == 401


async def test_rs256_from_a_pem_or_a_file(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    pem_file = tmp_path / "public.pem"
    pem_file.write_text(public_pem(rsa_key))
    token = signed({"sub": "9", "name": "Nine"}, key=rsa_key, algorithm="RS256")
    for source in (public_pem(rsa_key), str(pem_file)):
        auth = await authenticator(jwt_public_key=source)
        identity = await auth.identify(bearer(token), {}, api_key_allowed=False)
        assert identity == Identity("jwt:9", "Nine", False, "jwt")
    other = signed({"sub": "9"}, key=private_key(), algorithm="RS256")
    with pytest.raises(AuthError) as refused:
        await auth.identify(bearer(other), {}, api_key_allowed=False)
    assert refused.value.message == "the token's signature does not match a configured key"


async def test_an_hs256_token_signed_with_the_public_key_is_refused(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    """The algorithm confusion attack: the RS256 key is public, so it must not verify HS256."""
    pem = public_pem(rsa_key)
    auth = await authenticator(jwt_public_key=pem)
    head = base64url(b'{"alg":"HS256","typ":"JWT"}')
    body = base64url(json.dumps({"sub": "1", "exp": int(time.time()) + 60}).encode())
    mac = hmac.new(pem.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{head}.{body}.{base64url(mac)}"
    with pytest.raises(AuthError) as refused:
        await auth.identify(bearer(forged), {}, api_key_allowed=False)
    assert refused.value.code == "bad_token"


async def test_without_jwt_keys_a_jwt_is_just_an_invalid_token() -> None:
    auth = await authenticator()
    with pytest.raises(AuthError) as refused:
        await auth.identify(bearer(signed({"sub": "1"})), {}, api_key_allowed=False)
    assert refused.value.message == "the token is not valid"


async def test_registration_rules(auth: Authenticator) -> None:
    await auth.register("Cleo", PASSWORD)
    with pytest.raises(AuthError) as taken:
        await auth.register("CLEO", PASSWORD)
    assert (taken.value.code, taken.value.status) == ("nick_registered", 409)
    for weak in ("short", "x" * (MAX_PASSWORD_CHARS + 1)):
        with pytest.raises(AuthError) as refused:
            await auth.register("Dora", weak)
        assert (refused.value.code, refused.value.status) == ("weak_password", 400)
    with pytest.raises(ProtocolError):
        await auth.register("   ", PASSWORD)


async def test_wrong_passwords_and_unknown_names_look_the_same(auth: Authenticator) -> None:
    await auth.register("Eve", PASSWORD)
    failures = []
    for name, password in (("Eve", "wrong password"), ("Nobody", PASSWORD), ("", PASSWORD)):
        with pytest.raises(AuthError) as refused:
            await auth.check_password(name, password)
        failures.append((refused.value.code, refused.value.message))
    assert failures == [("bad_credentials", "wrong name or password")] * 3


async def test_a_password_is_checked_up_to_its_longest_length(auth: Authenticator) -> None:
    longest = "p" * MAX_PASSWORD_CHARS
    account = await auth.register("Finn", longest)
    assert await auth.check_password("Finn", longest + "ignored") == account
