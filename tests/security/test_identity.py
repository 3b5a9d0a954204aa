"""Identity on a live server: accounts, the session cookie, API tokens, JWTs, guests, and names
that belong to registered users."""

from __future__ import annotations

import json
import sqlite3
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts import (
    PASSWORD,
    call,
    closed_with,
    connect,
    joined,
    login,
    register,
    session_cookie,
    unique,
)
from conftest import ServerProcess
from helpers import Client

JWT_SECRET = "a-shared-secret-long-enough-for-every-hmac-algorithm-even-hs512!!"


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("jwt") / "public.pem"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, path


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, rsa_key: tuple[Any, Path]
) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path_factory.mktemp("identity"),
        [
            "--userlist-interval", "0.02", "--jwt-secret", JWT_SECRET,
            "--jwt-public-key", str(rsa_key[1]),
        ],
    )  # fmt: skip
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


async def status_of(client: Client) -> dict[str, Any]:
    return await client.expect("Status")


async def test_register_log_in_and_out(live: ServerProcess) -> None:
    base, name = live.http_url, unique("ada")
    signed_up = await call(
        "POST", f"{base}/api/register", body={"name": name, "password": PASSWORD}
    )
    assert signed_up.status == 201
    assert signed_up.json() == {"name": name, "admin": False, "via": "session"}
    cookie = str(signed_up.headers["Set-Cookie"])
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back
    # Logging in again gives a new session; a wrong password or an unknown name the same 401.
    reply = await login(base, name)
    assert reply.status == 200
    session = session_cookie(reply)
    for wrong in ({"name": name, "password": "not it at all"}, {"name": "nobody", "password": "x"}):
        refused = await call("POST", f"{base}/api/login", body=wrong)
        assert refused.status == 401
        assert refused.json()["error"]["code"] == "bad_credentials"
    me = await call("GET", f"{base}/api/me", cookie=session)
    assert me.json()["name"] == name
    # The WebSocket upgrade takes the cookie: the connection is the account, named after it.
    async with await connect(live.ws_url, person=_person(name, session), room="lobby") as ws:
        status = await status_of(ws)
        assert (status["User"], status["Nick"]) == (name, name)
        await joined(ws, "lobby")
        out = await call("POST", f"{base}/api/logout", cookie=session)
        assert out.status == 204
        assert 'roomcast_session=""' in str(out.headers["Set-Cookie"])
        assert await closed_with(ws) == 4003  # signed out: its connections go too
    # The old cookie is worth nothing now: a guest.
    assert (await call("GET", f"{base}/api/me", cookie=session)).json()["name"] is None
    async with await connect(live.ws_url, person=_person(name, session)) as ws:
        assert "User" not in await status_of(ws)


def _person(name: str, cookie: str) -> Any:
    from accounts import Person

    return Person(name, cookie)


async def test_registration_rules(live: ServerProcess) -> None:
    base = live.http_url
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"name": "admin", "password": PASSWORD}, 400, "nick_reserved"),
        ({"name": "a\u200bb", "password": PASSWORD}, 400, "nick_invalid"),
        ({"name": unique("x"), "password": "short"}, 400, "weak_password"),
        ({"name": unique("x")}, 400, "missing_field"),
        ({"name": 5, "password": PASSWORD}, 400, "bad_field"),
    ]
    for body, status, code in cases:
        reply = await call("POST", f"{base}/api/register", body=body)
        assert (reply.status, reply.json()["error"]["code"]) == (status, code), body
    taken = unique("taken")
    await register(base, taken)
    again = await call("POST", f"{base}/api/register", body={"name": taken, "password": PASSWORD})
    assert (again.status, again.json()["error"]["code"]) == (409, "nick_registered")
    # Passwords are stored as argon2id hashes, never as they are.
    assert PASSWORD.encode() not in database_bytes(live)
    with sqlite3.connect(live.db) as db:
        (stored,) = db.execute("SELECT password_hash FROM accounts WHERE name = ?", (taken,))
    assert stored[0].startswith("$argon2id$")


def database_bytes(server: ServerProcess) -> bytes:
    """Everything on disk of the server's SQLite database (the main file and its WAL)."""
    return b"".join(p.read_bytes() for p in server.data_dir.glob("roomcast.db*"))


async def test_a_name_in_use_is_registered_only_by_its_holder(live: ServerProcess) -> None:
    base, name = live.http_url, unique("holder")
    async with await connect(live.ws_url, nick=name) as guest:
        session = (await status_of(guest))["Session"]
        body = {"name": name, "password": PASSWORD}
        assert (await call("POST", f"{base}/api/register", body=body)).status == 409
        mine = await call("POST", f"{base}/api/register", body={**body, "session": session})
        assert mine.status == 201


async def test_registered_names_are_kept_for_their_owner(live: ServerProcess) -> None:
    base, name = live.http_url, unique("owned")
    person = await register(base, name)
    other = await register(base, unique("other"))
    # Neither a guest nor another account may take it, by URL, Nick or a line's Author.
    async with await connect(live.ws_url, nick=name) as guest:
        status = await status_of(guest)
        assert status["Nick"].startswith("guest-")
        await guest.expect("Error", lambda f: f["Code"] == "nick_registered")
        await guest.send({"Type": "Nick", "Name": name.upper()})
        await guest.expect("Error", lambda f: f["Code"] == "nick_registered")
    async with await connect(live.ws_url, person=other) as them:
        await status_of(them)
        await them.send({"Type": "Nick", "Name": name})
        await them.expect("Error", lambda f: f["Code"] == "nick_registered")
    # Its owner gets it, and may rename away and back.
    async with await connect(live.ws_url, person=person, nick=name) as owner:
        assert (await status_of(owner))["Nick"] == name
        await owner.send({"Type": "Nick", "Name": unique("alias")})
        await owner.expect("Nick")
        await owner.send({"Type": "Nick", "Name": name})
        assert (await owner.expect("Nick"))["Name"] == name


async def test_api_tokens_for_bots(live: ServerProcess) -> None:
    base = live.http_url
    person = await register(base, unique("botmaker"))
    created = await call(
        "POST", f"{base}/api/tokens", body={"label": "my bot"}, cookie=person.cookie
    )
    assert created.status == 201
    token = created.json()
    assert token["token"].startswith("rc_")
    listed = (await call("GET", f"{base}/api/tokens", cookie=person.cookie)).json()["tokens"]
    assert listed == [{"id": token["id"], "label": "my bot", "created": token["created"]}]
    # Only its hash is stored.
    assert token["token"].encode() not in database_bytes(live)
    # As token= in the URL and as an Authorization header; REST takes the header.
    async with (
        await connect(live.ws_url, token=token["token"]) as by_query,
        await connect(live.ws_url, bearer=token["token"], nick=unique("bot")) as by_header,
    ):
        assert (await status_of(by_query))["User"] == person.name
        assert (await status_of(by_header))["User"] == person.name
        me = await call("GET", f"{base}/api/me", bearer=token["token"])
        assert me.json() == {"name": person.name, "admin": False, "via": "token"}
        revoked = await call("DELETE", f"{base}/api/tokens/{token['id']}", cookie=person.cookie)
        assert revoked.status == 204
        assert await closed_with(by_query) == 4003
        assert await closed_with(by_header) == 4003
    async with await connect(live.ws_url, token=token["token"]) as refused:
        error = await refused.expect("Error")
        assert error["Code"] == "login_required"
        assert await closed_with(refused) == 4003
    assert (await call("GET", f"{base}/api/me", bearer=token["token"])).status == 401
    missing = await call("DELETE", f"{base}/api/tokens/{token['id']}", cookie=person.cookie)
    assert missing.status == 404
    guest = await call("POST", f"{base}/api/tokens", body={})
    assert guest.status == 401


async def test_jwt_connection_tokens(live: ServerProcess, rsa_key: tuple[Any, Path]) -> None:
    now = int(time.time())
    claims = {"sub": "user-42", "name": unique("site"), "exp": now + 60}
    good = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    async with await connect(live.ws_url, token=good) as ws:
        status = await status_of(ws)
        assert (status["User"], status["Nick"]) == (claims["name"], claims["name"])
    rs = jwt.encode({**claims, "name": unique("rsa")}, rsa_key[0], algorithm="RS256")
    async with await connect(live.ws_url, bearer=rs) as ws:
        assert (await status_of(ws))["User"].startswith("rsa")
    bad = [
        jwt.encode({**claims, "exp": now - 10}, JWT_SECRET, algorithm="HS256"),  # expired
        jwt.encode(claims, "another-secret-that-is-long-enough!!", algorithm="HS256"),
        jwt.encode({"sub": "x", "name": "y"}, JWT_SECRET, algorithm="HS256"),  # no exp
        jwt.encode(claims, JWT_SECRET, algorithm="HS512"),  # not an accepted algorithm
        good[:-3] + "AAA",  # tampered signature
        "rc_not-a-real-token",
    ]
    for token in bad:
        async with await connect(live.ws_url, token=token) as ws:
            assert (await ws.expect("Error"))["Code"] == "login_required", token
            assert await closed_with(ws) == 4003


async def test_login_attempts_are_rate_limited(server_factory: Any) -> None:
    server = server_factory(env={"ROOMCAST_RATE_LOGINS": "0.01/3"})
    codes = []
    for _ in range(5):
        reply = await call(
            "POST", f"{server.http_url}/api/login", body={"name": "who", "password": "guess1234"}
        )
        codes.append(reply.status)
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    assert int(reply.headers["Retry-After"]) >= 1


async def test_guests_can_be_turned_away(server_factory: Any) -> None:
    server = server_factory("--allow-guests", "false", "--allow-registration", "false")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["error"]["code"] == "login_required"
    closed = await call(
        "POST", f"{server.http_url}/api/register", body={"name": "x1", "password": PASSWORD}
    )
    assert closed.status == 403
    # A stale cookie is not enough either: the connection is told to sign in, and closed.
    async with await connect(server.ws_url, person=_person("x", "roomcast_session=stale")) as ws:
        assert (await ws.expect("Error"))["Code"] == "login_required"
        assert await closed_with(ws) == 4003


def test_the_session_cookie_is_secure_under_tls(server_factory: Any, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = server_factory("--certfile", str(cert), "--keyfile", str(key), start=False)
    server.scheme = "https"
    server.start()
    import http.client

    context = ssl.create_default_context(cafile=str(cert))
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context)
    body = json.dumps({"name": unique("tls"), "password": PASSWORD})
    connection.request("POST", "/api/register", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 201
    cookie = response.getheader("Set-Cookie") or ""
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]
    connection.close()
