"""``/api/me/rooms`` and ``/api/me/blocks``: the signed-in caller's rooms with their read state,
and the accounts it blocks (private to it: not audited, not shown to the blocked)."""

from __future__ import annotations

from aiohttp import web

from roomcast.auth import Identity
from roomcast.http import bodies
from roomcast.http.callers import identity_of, signed_in
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.store import Account, owner_key


async def _caller(request: web.Request, *, writing: bool = False) -> tuple[Identity, str]:
    """The signed-in caller and its account ID (the API key is no account)."""
    identity = signed_in(await identity_of(request, writing=writing))
    if identity.account_id is None:
        raise Refused(403, "forbidden", "the API key is no account; use a session or a token")
    return identity, identity.account_id


async def my_rooms(request: web.Request) -> web.Response:
    identity, account_id = await _caller(request)
    rooms = await request.app[HUB_KEY].people.rooms_of(identity, owner_key(account_id, ""))
    return reply(
        bodies.PersonRoomList(
            [
                bodies.PersonRoom(r.room, r.last_id, r.read_id, r.unread, r.mentions, r.direct)
                for r in rooms
            ]
        )
    )


async def my_blocks(request: web.Request) -> web.Response:
    _, account_id = await _caller(request)
    blocked = await request.app[HUB_KEY].store.blocks(account_id)
    return reply(bodies.BlockList([name for _, name in blocked]))


async def _named(request: web.Request) -> Account:
    """The account of the path's ``{name}``; 404 when none."""
    return await request.app[HUB_KEY].direct.account(request.match_info["name"], None)


async def block(request: web.Request) -> web.Response:
    _, account_id = await _caller(request, writing=True)
    target = await _named(request)
    if target.id == account_id:
        raise Refused(400, "bad_param", "you cannot block yourself")
    await request.app[HUB_KEY].store.block(account_id, target.id, target.name)
    return web.Response(status=204)


async def unblock(request: web.Request) -> web.Response:
    _, account_id = await _caller(request, writing=True)
    target = await _named(request)
    if not await request.app[HUB_KEY].store.unblock(account_id, target.id):
        raise Refused(404, "not_found", f"you do not block {target.name!r}")
    return web.Response(status=204)


ROUTES = [
    web.get("/api/me/rooms", my_rooms, allow_head=False),
    web.get("/api/me/blocks", my_blocks, allow_head=False),
    web.put("/api/me/blocks/{name}", block),
    web.delete("/api/me/blocks/{name}", unblock),
]
