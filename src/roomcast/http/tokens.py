"""``/api/tokens``: a signed-in account's API tokens for bots; the secret is shown once."""

from __future__ import annotations

from aiohttp import web

from roomcast.auth.identity import MAX_LABEL_CHARS
from roomcast.http import bodies
from roomcast.http.callers import identity_of, signed_in
from roomcast.http.inputs import read_body
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused, reply
from roomcast.store import Credential
from roomcast.wire import protocol


def token_body(credential: Credential) -> bodies.Token:
    return bodies.Token(
        id=credential.id, label=credential.label, created=protocol.iso_time(credential.created_ms)
    )


async def list_tokens(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request))
    tokens = (
        await request.app[HUB_KEY].store.credentials(identity.account_id, "token")
        if identity.account_id
        else []
    )
    return reply(bodies.TokenList([token_body(t) for t in tokens]))


async def create_token(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    body = await read_body(request, bodies.NewToken)
    label = protocol.validate_line(body.label, "label", MAX_LABEL_CHARS)
    secret, credential = await request.app[HUB_KEY].auth.create_token(identity, label)
    token = token_body(credential)
    return reply(bodies.CreatedToken(token.id, token.label, token.created, secret), 201)


async def revoke_token(request: web.Request) -> web.Response:
    identity = signed_in(await identity_of(request, writing=True))
    hub = request.app[HUB_KEY]
    token_id = request.match_info["token"]
    if identity.account_id is None or not await hub.store.delete_credential(
        token_id, identity.account_id
    ):
        raise Refused(404, "not_found", "no such token")
    for member in hub.registry.members_of(token_id):
        member.peer.close(protocol.CLOSE_SIGNED_OUT, "token revoked")
    return web.Response(status=204)


ROUTES = [
    web.get("/api/tokens", list_tokens, allow_head=False),
    web.post("/api/tokens", create_token),
    web.delete("/api/tokens/{token}", revoke_token),
]
