"""Moderation over REST: kick, ban, mute and their reversals, deleting a message, the sanctions
in force in a room and the audit log of every such action.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from msgspec import UNSET

from roomcast.auth.access import Role, role_in
from roomcast.http import bodies
from roomcast.http.callers import identity_of, signed_in
from roomcast.http.inputs import int_query, read_body, room_param
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.store import AuditEntry, AuditQuery, Sanction
from roomcast.wire import protocol

MAX_AUDIT_PAGE: Final = 500
# The latest time the audit filters take, in ms since the epoch (the year 9999).
MAX_TIME_MS: Final = 253_402_300_799_999
DEFAULT_AUDIT_PAGE: Final = 100


def _iso_or_none(ms: int | None) -> str | None:
    return None if ms is None else protocol.iso_time(ms)


def sanction_body(sanction: Sanction, admin: bool) -> bodies.Sanction:
    """A sanction as its moderators see it; only admins see a guest's address."""
    return bodies.Sanction(
        id=sanction.id,
        kind=sanction.kind,
        name=sanction.name,
        account=sanction.account_id is not None,
        until=_iso_or_none(sanction.until_ms),
        by=sanction.by,
        reason=sanction.reason,
        created=protocol.iso_time(sanction.created_ms),
        ip=sanction.ip if admin else UNSET,
    )


def audit_body(entry: AuditEntry) -> bodies.AuditEntry:
    return bodies.AuditEntry(
        time=protocol.iso_time(entry.time_ms),
        actor=entry.actor,
        action=entry.action,
        room=entry.room,
        target=entry.target,
        detail=entry.detail,
    )


async def moderate(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    room = await room_param(request)
    body = await read_body(request, bodies.Moderation)
    if body.action not in protocol.MODERATION_ACTIONS:
        raise Refused(
            400, "bad_field", f"action must be one of {', '.join(protocol.MODERATION_ACTIONS)}"
        )
    duration = None if body.duration is UNSET else body.duration
    if duration is not None and not 1 <= duration <= protocol.MAX_SANCTION_SECONDS:
        raise Refused(400, "bad_field", "duration must be 1 s to 10 years, in seconds")
    reason = protocol.validate_line(body.reason, "reason", protocol.MAX_REASON_CHARS)
    name, until = await request.app[HUB_KEY].moderation.moderate(
        identity, body.action, room, body.name, duration, reason
    )
    return reply(bodies.ModerationResult(body.action, room, name, _iso_or_none(until)))


async def delete_message(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    room = await room_param(request)
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= bodies.MAX_ID:
        raise Refused(400, "bad_param", "the message ID must be a positive integer")
    await request.app[HUB_KEY].conversation.delete_by(identity, room, int(raw))
    return web.Response(status=204)


async def sanctions(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request))
    room = await room_param(request)
    hub = request.app[HUB_KEY]
    policy = await hub.moderation.policy(room)
    if role_in(policy.access, identity) < Role.MODERATOR:
        raise Refused(403, "forbidden", "only the room's moderators see its sanctions")
    found = await hub.store.sanctions(room, hub.moderation.clock.now_ms())
    return reply(bodies.SanctionList(room, [sanction_body(s, identity.admin) for s in found]))


async def audit(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request))
    hub = request.app[HUB_KEY]
    room_query = request.query.get("room")
    limit = int_query(request, "limit", 1, MAX_AUDIT_PAGE)
    room: str | None = None
    if room_query is not None:
        if not room_query:
            raise Refused(400, "room_invalid", "room must not be empty")
        room = await hub.store.room_name(protocol.validate_room(room_query), claim=False)
        policy = await hub.moderation.policy(room)
        allowed = role_in(policy.access, identity) >= Role.MODERATOR
    else:
        allowed = identity.admin
    if not allowed:
        raise Refused(403, "forbidden", "the audit log is for admins and room moderators")
    query = AuditQuery(
        actor=request.query.get("actor") or None,
        action=request.query.get("action") or None,
        since_ms=int_query(request, "since", 0, MAX_TIME_MS),
        until_ms=int_query(request, "until", 0, MAX_TIME_MS),
    )
    page = DEFAULT_AUDIT_PAGE if limit is None else limit
    entries = await hub.store.audit_log(room, page, query)
    return reply(bodies.AuditLog([audit_body(e) for e in entries]))


ROUTES = [
    web.post("/api/rooms/{room}/moderation", moderate),
    web.delete("/api/rooms/{room}/messages/{id}", delete_message),
    web.get("/api/rooms/{room}/sanctions", sanctions, allow_head=False),
    web.get("/api/audit", audit, allow_head=False),
]
