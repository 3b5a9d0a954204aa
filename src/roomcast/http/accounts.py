"""``/api/register``, ``/api/login``, ``/api/logout`` and ``/api/me``: accounts and sessions.

Signing in sets the HttpOnly session cookie. Login and registration are rate limited per client
address (``rate_logins``) against password guessing.
"""

from __future__ import annotations

import hmac
import time

from aiohttp import web

from roomcast.auth import SESSION_COOKIE, Identity
from roomcast.auth.identity import check_password
from roomcast.http import bodies
from roomcast.http.callers import identity_of
from roomcast.http.inputs import read_body
from roomcast.http.keys import HUB_KEY, LOGIN_BUDGET_KEY, SETTINGS_KEY
from roomcast.http.replies import Refused, reply
from roomcast.store import Account
from roomcast.wire import protocol


def me_body(identity: Identity) -> bodies.Me:
    return bodies.Me(
        name=identity.name if identity.account_id is not None else None,
        admin=identity.admin,
        via=identity.via,
    )


def spend_login(request: web.Request) -> None:
    """Take one attempt from the caller's address, or refuse with 429 and Retry-After."""
    wait = request.app[LOGIN_BUDGET_KEY].take(request.remote or "?", time.monotonic())
    if wait:
        raise Refused(
            429,
            "rate_limited",
            f"too many attempts; try again in {wait:.0f} s",
            {"Retry-After": str(max(1, round(wait)))},
        )


async def _signed_in_reply(request: web.Request, account: Account, status: int) -> web.Response:
    """Start a session for ``account``: its identity as the answer, its cookie set."""
    auth = request.app[HUB_KEY].auth
    secret, _ = await auth.start_session(account)
    identity = Identity(account.id, account.name, auth.account_is_admin(account), "session")
    response = reply(me_body(identity), status)
    settings = request.app[SETTINGS_KEY]
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        path="/",
        max_age=int(settings.session_ttl),
        httponly=True,
        samesite="Lax",
        secure=bool(settings.certfile) or request.secure,
    )
    return response


async def register(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    if not request.app[SETTINGS_KEY].allow_registration:
        raise Refused(403, "registration_closed", "this server does not take new accounts")
    spend_login(request)
    body = await read_body(request, bodies.Registration)
    name = protocol.validate_nick(body.name)
    check_password(body.password)
    holder = await hub.presence.nick_owner(protocol.nick_key(name))
    if holder is not None:
        member = hub.registry.local_member(holder)
        if member is None or not hmac.compare_digest(
            member.session.encode(), body.session.encode()
        ):
            raise Refused(409, "nick_taken", f"{name!r} is in use right now")
    account = await hub.auth.register(name, body.password)
    return await _signed_in_reply(request, account, 201)


async def login(request: web.Request) -> web.Response:
    spend_login(request)
    body = await read_body(request, bodies.Credentials)
    account = await request.app[HUB_KEY].auth.check_password(body.name, body.password)
    return await _signed_in_reply(request, account, 200)


async def logout(request: web.Request) -> web.Response:
    identity = await identity_of(request, writing=True)
    hub = request.app[HUB_KEY]
    if identity.via == "session" and identity.credential_id and identity.account_id:
        await hub.store.delete_credential(identity.credential_id, identity.account_id)
        for member in hub.registry.members_of(identity.credential_id):
            member.peer.close(protocol.CLOSE_SIGNED_OUT, "signed out")
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    return reply(me_body(await identity_of(request)))


ROUTES = [
    web.post("/api/register", register),
    web.post("/api/login", login),
    web.post("/api/logout", logout),
    web.get("/api/me", me, allow_head=False),
]
