"""REST endpoints for identity and moderation: accounts, sessions, API tokens, room
administration, sanctions and the audit log.

Callers prove who they are as ``auth.Authenticator.identify`` says: the session cookie set by
``POST /api/login`` (the web client), ``Authorization: Bearer`` with an API token or a JWT (bots,
embedding sites), or the server's API key (a server admin). Writes made with the session cookie
must come from an allowed origin (``Origin`` is checked, besides ``SameSite=Lax`` on the cookie),
so another site cannot make a signed-in browser act. Login and registration are rate limited per
client address (``rate_logins``) against password guessing.
"""

from __future__ import annotations

import hmac
import time
from typing import Any, Final

from aiohttp import web

from roomcast.auth import SESSION_COOKIE, AuthError, Identity
from roomcast.auth.access import Role, role_in
from roomcast.auth.identity import MAX_LABEL_CHARS, check_password
from roomcast.chat.hub import Hub
from roomcast.http.api import json_error
from roomcast.moderation.policy import RoomPolicy
from roomcast.ratelimit import KeyedBuckets, Rate
from roomcast.store import Credential, Sanction
from roomcast.transport.admission import origin_allowed, parse_origins
from roomcast.transport.connection import WebSocketService
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError

MAX_AUDIT_PAGE: Final = 500

# HTTP status of each protocol error code a moderation call can give.
_STATUS: Final = {
    ErrorCode.LOGIN_REQUIRED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BANNED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.ROOM_EXISTS: 409,
    ErrorCode.NICK_TAKEN: 409,
    ErrorCode.NICK_REGISTERED: 409,
}


class Refused(Exception):
    """An answer other than success, to turn into a JSON error response."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = json_error(status, code, message)


def _from_protocol(exc: ProtocolError) -> Refused:
    return Refused(_STATUS.get(exc.code, 400), str(exc.code), exc.message)


async def _body(request: web.Request, fields: dict[str, tuple[type, bool]]) -> dict[str, Any]:
    """The JSON object body: ``fields`` maps each name to (type, required); no others allowed."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "bad_json", "body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise Refused(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    for name, (kind, required) in fields.items():
        if name not in body:
            if required:
                raise Refused(400, "missing_field", f"{name} is required")
            continue
        value = body[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise Refused(400, "bad_field", f"{name} must be an integer")
        if not isinstance(value, kind):
            raise Refused(400, "bad_field", f"{name} must be a {kind.__name__}")
    return body


def _room(request: web.Request) -> str:
    try:
        return protocol.validate_room(request.match_info["room"])
    except ProtocolError as exc:
        raise _from_protocol(exc) from None


def _line(value: str, what: str, limit: int) -> str:
    try:
        return protocol.validate_line(value, what, limit)
    except ProtocolError as exc:
        raise _from_protocol(exc) from None


def _time(ms: int | None) -> str | None:
    return None if ms is None else protocol.iso_time(ms)


def _room_json(policy: RoomPolicy, identity: Identity) -> dict[str, Any]:
    access = policy.access
    return {
        "name": access.name,
        "topic": access.topic,
        "private": access.private,
        "owner": access.owner_name,
        "moderators": sorted(access.moderators.values(), key=str.casefold),
        "members": sorted(access.members.values(), key=str.casefold),
        "role": role_in(access, identity).label,
    }


def _sanction_json(sanction: Sanction, admin: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": sanction.id,
        "kind": sanction.kind,
        "name": sanction.name,
        "account": sanction.account_id is not None,
        "until": _time(sanction.until_ms),
        "by": sanction.by,
        "reason": sanction.reason,
        "created": _time(sanction.created_ms),
    }
    if admin:
        found["ip"] = sanction.ip
    return found


def _token_json(credential: Credential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "label": credential.label,
        "created": _time(credential.created_ms),
    }


def access_routes(
    hub_key: web.AppKey[Hub], service_key: web.AppKey[WebSocketService]
) -> list[web.RouteDef]:
    """The identity and moderation routes, reading the hub from the application."""
    login_budgets: dict[str, KeyedBuckets] = {}

    def hub_of(request: web.Request) -> Hub:
        return request.app[hub_key]

    def handler(
        call: Any,
    ) -> Any:
        """Turn ``Refused`` and protocol errors of ``call`` into JSON error answers."""

        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await call(request)
            except Refused as refused:
                return refused.response
            except ProtocolError as exc:
                return _from_protocol(exc).response
            except AuthError as exc:
                return json_error(exc.status, exc.code, exc.message)
            return response

        return handle

    async def identity_of(request: web.Request, *, writing: bool = False) -> Identity:
        """Who is calling; a cookie-authenticated write must come from an allowed origin."""
        hub = hub_of(request)
        identity = await hub.auth.identify(request.headers, {}, api_key_allowed=True)
        if writing and identity.via == "session":
            origin = request.headers.get("Origin")
            allowed = parse_origins(hub.settings.allowed_origins)
            if origin is not None and not origin_allowed(origin, request.host, allowed):
                raise Refused(403, "origin_not_allowed", "this page's origin may not act here")
        return identity

    def signed_in(identity: Identity) -> Identity:
        if identity.is_guest:
            raise Refused(401, "login_required", "log in, or send an API token")
        return identity

    def spend_login(request: web.Request) -> None:
        hub = hub_of(request)
        budget = login_budgets.get("logins")
        if budget is None:
            budget = login_budgets["logins"] = KeyedBuckets(Rate.parse(hub.settings.rate_logins))
        wait = budget.take(request.remote or "?", time.monotonic())
        if wait:
            refused = Refused(429, "rate_limited", f"too many attempts; try again in {wait:.0f} s")
            refused.response.headers["Retry-After"] = str(max(1, round(wait)))
            raise refused

    def set_session(request: web.Request, response: web.StreamResponse, secret: str) -> None:
        settings = hub_of(request).settings
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            path="/",
            max_age=int(settings.session_ttl),
            httponly=True,
            samesite="Lax",
            secure=bool(settings.certfile) or request.secure,
        )

    def me_json(identity: Identity) -> dict[str, Any]:
        return {
            "name": identity.name if identity.account_id is not None else None,
            "admin": identity.admin,
            "via": identity.via,
        }

    # -- accounts and sessions ------------------------------------------------------------------

    async def register(request: web.Request) -> web.StreamResponse:
        hub = hub_of(request)
        if not hub.settings.allow_registration:
            raise Refused(403, "registration_closed", "this server does not take new accounts")
        spend_login(request)
        body = await _body(
            request, {"name": (str, True), "password": (str, True), "session": (str, False)}
        )
        name = protocol.validate_nick(body["name"])
        check_password(body["password"])
        key = protocol.nick_key(name)
        holder = await hub.presence.nick_owner(key)
        if holder is not None:
            member = hub.local_member(holder)
            given = body.get("session", "").encode()
            if member is None or not hmac.compare_digest(member.session.encode(), given):
                raise Refused(409, "nick_taken", f"{name!r} is in use right now")
        account = await hub.auth.register(name, body["password"])
        secret, _ = await hub.auth.start_session(account)
        identity = Identity(account.id, account.name, hub.auth.is_admin(account.name), "session")
        response = web.json_response(me_json(identity), status=201)
        set_session(request, response, secret)
        return response

    async def login(request: web.Request) -> web.StreamResponse:
        spend_login(request)
        body = await _body(request, {"name": (str, True), "password": (str, True)})
        hub = hub_of(request)
        account = await hub.auth.check_password(body["name"], body["password"])
        secret, _ = await hub.auth.start_session(account)
        identity = Identity(account.id, account.name, hub.auth.is_admin(account.name), "session")
        response = web.json_response(me_json(identity))
        set_session(request, response, secret)
        return response

    async def logout(request: web.Request) -> web.StreamResponse:
        identity = await identity_of(request, writing=True)
        hub = hub_of(request)
        if identity.via == "session" and identity.credential_id and identity.account_id:
            await hub.store.delete_credential(identity.credential_id, identity.account_id)
            for member in hub.members_of(identity.credential_id):
                member.peer.close(protocol.CLOSE_SIGNED_OUT, "signed out")
        response = web.Response(status=204)
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def me(request: web.Request) -> web.StreamResponse:
        return web.json_response(me_json(await identity_of(request)))

    # -- API tokens -----------------------------------------------------------------------------

    async def list_tokens(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request))
        assert identity.account_id is not None or identity.admin
        tokens = (
            await hub_of(request).store.credentials(identity.account_id, "token")
            if identity.account_id
            else []
        )
        return web.json_response({"tokens": [_token_json(t) for t in tokens]})

    async def create_token(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        body = await _body(request, {"label": (str, False)})
        label = _line(body.get("label", ""), "label", MAX_LABEL_CHARS)
        secret, credential = await hub_of(request).auth.create_token(identity, label)
        return web.json_response({**_token_json(credential), "token": secret}, status=201)

    async def revoke_token(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        hub = hub_of(request)
        token_id = request.match_info["token"]
        if identity.account_id is None or not await hub.store.delete_credential(
            token_id, identity.account_id
        ):
            raise Refused(404, "not_found", "no such token")
        for member in hub.members_of(token_id):
            member.peer.close(protocol.CLOSE_SIGNED_OUT, "token revoked")
        return web.Response(status=204)

    # -- rooms ----------------------------------------------------------------------------------

    async def create_room(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        if identity.account_id is None:
            raise Refused(403, "login_required", "rooms are created by accounts, not the API key")
        body = await _body(
            request, {"room": (str, True), "private": (bool, False), "topic": (str, False)}
        )
        try:
            room = protocol.validate_room(body["room"])
        except ProtocolError as exc:
            raise _from_protocol(exc) from None
        topic = _line(body.get("topic", ""), "topic", protocol.MAX_TOPIC_CHARS)
        policy = await hub_of(request).moderation.create_room(
            identity, room, bool(body.get("private")), topic
        )
        return web.json_response(_room_json(policy, identity), status=201)

    async def room_access(request: web.Request) -> web.StreamResponse:
        identity = await identity_of(request)
        policy = await hub_of(request).moderation.check_read(identity, _room(request))
        return web.json_response(_room_json(policy, identity))

    async def set_topic(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        room = _room(request)
        body = await _body(request, {"topic": (str, True)})
        topic = _line(body["topic"], "topic", protocol.MAX_TOPIC_CHARS)
        policy = await hub_of(request).moderation.set_topic(identity, room, topic)
        return web.json_response(_room_json(policy, identity))

    async def set_role(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        room = _room(request)
        body = await _body(request, {"role": (str, True)})
        if body["role"] not in protocol.ROLES:
            raise Refused(400, "bad_field", f"role must be one of {', '.join(protocol.ROLES)}")
        policy = await hub_of(request).moderation.set_role(
            identity, room, request.match_info["name"], body["role"]
        )
        return web.json_response(_room_json(policy, identity))

    async def moderate(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        room = _room(request)
        body = await _body(
            request,
            {
                "action": (str, True),
                "name": (str, True),
                "duration": (int, False),
                "reason": (str, False),
            },
        )
        action = body["action"]
        if action not in protocol.MODERATION_ACTIONS:
            raise Refused(
                400,
                "bad_field",
                f"action must be one of {', '.join(protocol.MODERATION_ACTIONS)}",
            )
        duration = body.get("duration")
        if duration is not None and not 1 <= duration <= protocol.MAX_SANCTION_SECONDS:
            raise Refused(400, "bad_field", "duration must be 1 s to 10 years, in seconds")
        reason = _line(body.get("reason", ""), "reason", protocol.MAX_REASON_CHARS)
        name, until = await hub_of(request).moderation.moderate(
            identity, action, room, body["name"], duration, reason
        )
        return web.json_response(
            {"action": action, "room": room, "name": name, "until": _time(until)}
        )

    async def delete_message(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request, writing=True))
        room = _room(request)
        raw = request.match_info["id"]
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) < 2**63:
            raise Refused(400, "bad_param", "the message ID must be a positive integer")
        await hub_of(request).moderation.delete_message(identity, room, int(raw))
        return web.Response(status=204)

    async def sanctions(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request))
        room = _room(request)
        hub = hub_of(request)
        policy = await hub.moderation.policy(room)
        if role_in(policy.access, identity) < Role.MODERATOR:
            raise Refused(403, "forbidden", "only the room's moderators see its sanctions")
        found = await hub.store.sanctions(room, int(time.time() * 1000))
        return web.json_response(
            {"room": room, "sanctions": [_sanction_json(s, identity.admin) for s in found]}
        )

    async def audit(request: web.Request) -> web.StreamResponse:
        identity = signed_in(await identity_of(request))
        hub = hub_of(request)
        room_param = request.query.get("room")
        raw_limit = request.query.get("limit", "100")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_AUDIT_PAGE:
            raise Refused(400, "bad_param", f"limit must be 1-{MAX_AUDIT_PAGE}")
        room: str | None = None
        if room_param is not None:
            if not room_param:
                raise Refused(400, "room_invalid", "room must not be empty")
            try:
                room = protocol.validate_room(room_param)
            except ProtocolError as exc:
                raise _from_protocol(exc) from None
            policy = await hub.moderation.policy(room)
            allowed = role_in(policy.access, identity) >= Role.MODERATOR
        else:
            allowed = identity.admin
        if not allowed:
            raise Refused(403, "forbidden", "the audit log is for admins and room moderators")
        entries = await hub.store.audit_log(room, int(raw_limit))
        return web.json_response(
            {
                "entries": [
                    {
                        "time": protocol.iso_time(e.time_ms),
                        "actor": e.actor,
                        "action": e.action,
                        "room": e.room,
                        "target": e.target,
                        "detail": e.detail,
                    }
                    for e in entries
                ]
            }
        )

    return [
        web.post("/api/register", handler(register)),
        web.post("/api/login", handler(login)),
        web.post("/api/logout", handler(logout)),
        web.get("/api/me", handler(me), allow_head=False),
        web.get("/api/tokens", handler(list_tokens), allow_head=False),
        web.post("/api/tokens", handler(create_token)),
        web.delete("/api/tokens/{token}", handler(revoke_token)),
        web.post("/api/rooms", handler(create_room)),
        web.get("/api/rooms/{room}/access", handler(room_access), allow_head=False),
        web.put("/api/rooms/{room}/topic", handler(set_topic)),
        web.put("/api/rooms/{room}/roles/{name}", handler(set_role)),
        web.post("/api/rooms/{room}/moderation", handler(moderate)),
        web.delete("/api/rooms/{room}/messages/{id}", handler(delete_message)),
        web.get("/api/rooms/{room}/sanctions", handler(sanctions), allow_head=False),
        web.get("/api/audit", handler(audit), allow_head=False),
    ]
