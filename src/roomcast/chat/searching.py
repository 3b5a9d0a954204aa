"""Search over the WebSocket: a ``Search`` command is answered with its ``Results``.

Every room the member may read is searched, joined or not (public rooms; private rooms and
direct conversations it is a member of; every room for a server admin): the store filters by
the reader, in SQL where it can. The query is parsed here (``store.search.parse``), so a
malformed one is a ``bad_field`` error echoing the command's Ref, before the store is asked.
"""

from __future__ import annotations

from roomcast.auth import Identity
from roomcast.chat.state import Member
from roomcast.store import Store
from roomcast.store.search import Reader, SearchPage, parse
from roomcast.wire.protocol import ProtocolError
from roomcast.wire.search_frames import SearchMessages, encode_results, found_frame


def reader_of(identity: Identity) -> Reader:
    """Whose rooms a search by ``identity`` may see."""
    return Reader(identity.account_id, identity.admin)


async def search(store: Store, identity: Identity, command: SearchMessages) -> SearchPage:
    """The results of ``command`` for ``identity``; ``ProtocolError`` for a malformed query."""
    try:
        query = parse(command.query)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, command.ref) from None
    # Room names are case-insensitive: the store knows the room by its first spelling.
    room = None if command.room is None else await store.room_name(command.room, claim=False)
    return await store.search(
        query,
        reader_of(identity),
        room=room,
        author=command.author,
        before=command.before,
        limit=command.limit,
    )


def results_payload(command: SearchMessages, page: SearchPage) -> bytes:
    """The ``Results`` frame of ``page``: each line's Chat frame with its highlight."""
    found = [found_frame(f.message.frame(), list(f.highlight)) for f in page.found]
    return encode_results(command.query, found, page.more, command.ref)


async def answer(store: Store, member: Member, command: SearchMessages) -> None:
    """Search for ``member`` and send it the ``Results``."""
    page = await search(store, member.identity, command)
    member.send(results_payload(command, page))
