"""The server admin page and its JSON API, for server admins only (the ``admins`` setting, an
account made an admin here, or the API key); everyone else gets 403.

``GET /admin`` is the page (``web/admin.html``): to a browser that is not signed in as an admin
it answers 403 with the same page, which then shows its login form. ``/api/admin/overview`` has
every node's numbers (``chat.node_stats``), ``/api/admin/accounts`` lists and changes accounts
(disable, make admin, sign out everywhere), ``/api/admin/rooms`` lists and deletes rooms. A
room's topic and the audit log are the existing ``PUT /api/rooms/{room}/topic`` and
``GET /api/audit``. Every change made here is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web
from msgspec import UNSET

from roomcast.auth import GUEST, AuthError, Identity
from roomcast.http import bodies
from roomcast.http.callers import identity_of
from roomcast.http.inputs import int_query, read_body, room_param
from roomcast.http.keys import HUB_KEY, NODE_STATS_KEY
from roomcast.http.replies import Refused, json_error, reply
from roomcast.store import Account, AuditEntry, owner_key
from roomcast.wire import protocol

PAGE: Final = Path(__file__).parent.parent / "web" / "admin.html"
MAX_ACCOUNTS: Final = 200


async def _admin(request: web.Request) -> Identity:
    identity = await identity_of(request, writing=request.method != "GET")
    if not identity.admin:
        raise Refused(403, "forbidden", "the admin pages are for server admins")
    return identity


async def page(request: web.Request) -> web.StreamResponse:
    """The page (not under ``/api``, so the error middleware leaves its answers alone)."""
    try:
        identity = await identity_of(request)
    except AuthError:  # a bad token: no admin either
        identity = GUEST
    if identity.admin:
        return web.FileResponse(PAGE)
    if "text/html" in request.headers.get("Accept", ""):
        return web.FileResponse(PAGE, status=403)  # its script shows the login form
    return json_error(403, "forbidden", "the admin pages are for server admins")


async def _audit(
    request: web.Request, identity: Identity, action: str, room: str, target: str
) -> None:
    hub = request.app[HUB_KEY]
    entry = AuditEntry(hub.moderation.clock.now_ms(), identity.label, action, room, target)
    await hub.store.add_audit(entry)


async def overview(request: web.Request) -> web.Response:
    await _admin(request)
    nodes = [bodies.NodeNumbers(**n) for n in await request.app[NODE_STATS_KEY].nodes()]
    rooms: dict[str, int] = {}
    for node in nodes:
        for name, members in node.rooms.items():
            rooms[name] = rooms.get(name, 0) + members
    return reply(
        bodies.Overview(
            nodes=nodes,
            connections=sum(n.connections for n in nodes),
            members=sum(n.members for n in nodes),
            messages_per_second=round(sum(n.messages_per_second for n in nodes), 2),
            slow_consumers_dropped=sum(n.slow_consumers_dropped for n in nodes),
            rooms=dict(sorted(rooms.items())),
        )
    )


def _account_body(request: web.Request, account: Account) -> bodies.AdminAccount:
    return bodies.AdminAccount(
        id=account.id,
        name=account.name,
        created=protocol.iso_time(account.created_ms),
        disabled=account.disabled,
        admin=account.admin,
        admin_by_setting=request.app[HUB_KEY].auth.is_admin(account.name),
    )


async def accounts(request: web.Request) -> web.Response:
    await _admin(request)
    search = request.query.get("search", "").strip()
    limit = int_query(request, "limit", 1, MAX_ACCOUNTS) or 50
    key = protocol.name_key(search) if search else ""
    found = await request.app[HUB_KEY].store.accounts(key, limit)
    return reply(bodies.AdminAccountList([_account_body(request, a) for a in found]))


async def _account_of(request: web.Request) -> Account:
    account = await request.app[HUB_KEY].store.account_by_id(request.match_info["id"])
    if account is None:
        raise Refused(404, "not_found", "no such account")
    return account


async def change_account(request: web.Request) -> web.Response:
    identity = await _admin(request)
    account = await _account_of(request)
    body = await read_body(request, bodies.AccountFlags)
    if account.id == identity.account_id and (body.disabled is True or body.admin is False):
        raise Refused(409, "own_account", "an admin cannot disable or unmake themselves")
    hub = request.app[HUB_KEY]
    changed = await hub.store.set_account_flags(
        account.id,
        disabled=None if body.disabled is UNSET else body.disabled,
        admin=None if body.admin is UNSET else body.admin,
    )
    if changed is None:
        raise Refused(404, "not_found", "no such account")
    if changed.disabled != account.disabled:
        await _audit(
            request, identity, "disable" if changed.disabled else "enable", "", account.name
        )
        if changed.disabled:
            hub.people.sign_out(owner_key(account.id, ""), "account disabled")
    if changed.admin != account.admin:
        action = "make_admin" if changed.admin else "unmake_admin"
        await _audit(request, identity, action, "", account.name)
    return reply(_account_body(request, changed))


async def sign_out(request: web.Request) -> web.Response:
    identity = await _admin(request)
    account = await _account_of(request)
    hub = request.app[HUB_KEY]
    ended = await hub.store.delete_credentials(account.id, "session")
    hub.people.sign_out(owner_key(account.id, ""), "signed out everywhere by an admin")
    await _audit(request, identity, "sign_out", "", account.name)
    return reply(bodies.SignedOut(ended))


async def rooms(request: web.Request) -> web.Response:
    await _admin(request)
    hub = request.app[HUB_KEY]
    members: dict[str, int] = {}
    for node in await request.app[NODE_STATS_KEY].nodes():
        for name, count in node["rooms"].items():
            members[name] = members.get(name, 0) + count
    listed = [
        bodies.AdminRoom(r.name, r.last_id, r.topic, r.private, members.get(r.name, 0))
        for r in await hub.store.rooms()
    ]
    return reply(bodies.AdminRoomList(listed))


async def delete_room(request: web.Request) -> web.Response:
    identity = await _admin(request)
    room = await room_param(request)
    if not await request.app[HUB_KEY].store.delete_room(room):
        raise Refused(404, "not_found", f"no room {room!r}")
    await _audit(request, identity, "delete_room", room, room)
    return web.Response(status=204)


ROUTES = [
    web.get("/api/admin/overview", overview, allow_head=False),
    web.get("/api/admin/accounts", accounts, allow_head=False),
    web.patch("/api/admin/accounts/{id}", change_account),
    web.post("/api/admin/accounts/{id}/signout", sign_out),
    web.get("/api/admin/rooms", rooms, allow_head=False),
    web.delete("/api/admin/rooms/{room}", delete_room),
]
