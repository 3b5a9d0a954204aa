"""Room names at the chat edge: a name as the store first spelled it (names are
case-insensitive, ``protocol.room_key``), and which of a connection's rooms a frame names."""

from __future__ import annotations

from roomcast.chat.state import Member
from roomcast.store import HistoryAdmin, StoreUnavailable
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError, Ref


def room_of(member: Member, room: str | None, ref: Ref | None) -> str:
    """The room of ``member`` a frame names (its first room when it names none), in any
    spelling; ``not_in_room`` when it is not in it. An exact name costs one lookup."""
    if room is None:
        joined_rooms = member.room_names()
        if not joined_rooms:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM, "not in any room; Join one first", ref)
        return joined_rooms[0]
    if member.subscription(room) is not None:
        return room
    key = protocol.room_key(room)  # another spelling of a room it is in
    for joined in member.room_names():
        if protocol.room_key(joined) == key:
            return joined
    raise ProtocolError(ErrorCode.NOT_IN_ROOM, f"not in room {room!r}", ref)


async def first_spelling(store: HistoryAdmin, room: str) -> str:
    """The room's name as first spelled, claiming ``room`` for a new one; as given when the
    store cannot say now (the join that follows reports the outage)."""
    try:
        return await store.room_name(room, claim=True)
    except StoreUnavailable:
        return room
