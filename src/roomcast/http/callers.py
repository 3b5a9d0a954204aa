"""Who is calling: the API key of the publishing endpoints, and the identity behind a request.

Callers prove who they are as ``auth.Authenticator.identify`` says: the session cookie set by
``POST /api/login`` (the web client), ``Authorization: Bearer`` with an API token or a JWT (bots,
embedding sites), or the server's API key (a server admin). Writes made with the session cookie
must come from an allowed origin (``Origin`` is checked, besides ``SameSite=Lax`` on the cookie),
so another site cannot make a signed-in browser act.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from roomcast.auth import Identity
from roomcast.http.keys import API_KEY_KEY, HUB_KEY, SETTINGS_KEY
from roomcast.http.replies import Refused
from roomcast.transport.admission import origin_allowed, parse_origins


def require_api_key(request: web.Request) -> None:
    """Refuse, naming the scheme, unless the request sends ``Authorization: Bearer <api key>``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[API_KEY_KEY]
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise Refused(
            401,
            "unauthorized",
            "send Authorization: Bearer <api key>",
            {"WWW-Authenticate": 'Bearer realm="roomcast"'},
        )


async def identity_of(request: web.Request, *, writing: bool = False) -> Identity:
    """Who is calling; a cookie-authenticated write must come from an allowed origin."""
    identity = await request.app[HUB_KEY].auth.identify(request.headers, {}, api_key_allowed=True)
    if writing and identity.via == "session":
        origin = request.headers.get("Origin")
        allowed = parse_origins(request.app[SETTINGS_KEY].allowed_origins)
        if origin is not None and not origin_allowed(origin, request.host, allowed):
            raise Refused(403, "origin_not_allowed", "this page's origin may not act here")
    return identity


def signed_in(identity: Identity) -> Identity:
    """``identity``, unless it is a guest's."""
    if identity.is_guest:
        raise Refused(401, "login_required", "log in, or send an API token")
    return identity
