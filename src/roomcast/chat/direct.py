"""Direct conversations and blocks between accounts.

A direct conversation is a private room whose members are its people, named from the set of
their account IDs (``dm.<16 hex>``), so the same people always get the same room. Only they may
join or read it; the room's access rules (moderation's) see to that. A blocked account cannot
start one with the blocker nor write in one they share, and its lines cause the blocker no
``Notify``. Blocks are private to the blocker: not audited, not shown to the blocked.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, Protocol

from roomcast.chat.people import People
from roomcast.chat.state import Member
from roomcast.store import Account
from roomcast.store.people import PeopleStore
from roomcast.wire import protocol
from roomcast.wire.protocol import MAX_DIRECT_NAMES, ErrorCode, ProtocolError, Ref

DIRECT_PREFIX: Final = protocol.DIRECT_ROOM_PREFIX


class DirectStore(PeopleStore, Protocol):
    async def account_by_key(self, key: str) -> Account | None: ...


def direct_room_name(account_ids: set[str]) -> str:
    """The room of the direct conversation of these accounts: the same for the same set."""
    digest = hashlib.sha256("\n".join(sorted(account_ids)).encode()).hexdigest()
    return DIRECT_PREFIX + digest[:16]


class Direct:
    """Direct conversations and blocks, for one node."""

    def __init__(self, store: DirectStore, people: People) -> None:
        self._store = store
        self._people = people
        # The members of the direct conversations with members here (None: not one), read when
        # the room is entered: the chat line's path checks ``room in direct.rooms``.
        self.rooms: dict[str, dict[str, str]] = {}
        people.on("rooms", self._on_rooms)

    async def entered(self, room: str) -> dict[str, str] | None:
        """``room`` is entered on this node: its members when it is a direct conversation."""
        members = self.rooms.get(room)
        if members is None and room.startswith(DIRECT_PREFIX):
            members = await self._store.direct_members(room)
            if members is not None:
                self.rooms[room] = members
        return members

    def forget(self, room: str) -> None:
        """The room has no members here any more."""
        self.rooms.pop(room, None)

    async def start(
        self, member: Member, names: tuple[str, ...], ref: Ref | None
    ) -> tuple[str, dict[str, str]]:
        """Open the direct conversation of ``member`` and the accounts ``names``: its room and
        members (account ID -> name)."""
        me = member.identity
        if me.account_id is None:
            raise ProtocolError(ErrorCode.LOGIN_REQUIRED, "log in to write to someone", ref)
        others: dict[str, str] = {}
        for name in names:
            account = await self.account(name, ref)
            if account.id != me.account_id:
                others[account.id] = account.name
        if not others:
            raise ProtocolError(ErrorCode.BAD_FIELD, "Names must name someone else", ref)
        if len(others) > MAX_DIRECT_NAMES:
            raise ProtocolError(
                ErrorCode.BAD_FIELD, f"at most {MAX_DIRECT_NAMES} other people", ref
            )
        if await self._store.blockers(me.account_id, list(others)):
            raise ProtocolError(ErrorCode.FORBIDDEN, "you cannot write to them", ref)
        members = {me.account_id: me.name or me.account_id, **others}
        room = direct_room_name(set(members))
        if await self._store.create_direct(room, members):
            for account_id in members:
                self._people.publish(f"a:{account_id}", {"op": "rooms"})
        return room, members

    async def check_line(self, member: Member, room: str, ref: Ref | None) -> dict[str, str]:
        """``member`` may write (a line, an edit, a reaction) in the direct conversation
        ``room``: nobody in it blocks it; its members."""
        if not await self.may_write(member, room):
            raise ProtocolError(ErrorCode.FORBIDDEN, "you cannot write to them", ref)
        return self.rooms[room]

    async def may_write(self, member: Member, room: str) -> bool:
        """Whether nobody in the direct conversation ``room`` blocks ``member``."""
        account_id = member.identity.account_id
        others = [a for a in self.rooms.get(room, {}) if a != account_id]
        return account_id is None or not await self._store.blockers(account_id, others)

    async def set_block(self, member: Member, name: str, block: bool, ref: Ref | None) -> None:
        account_id = member.identity.account_id
        if account_id is None:
            raise ProtocolError(ErrorCode.LOGIN_REQUIRED, "log in to block someone", ref)
        target = await self.account(name, ref)
        if target.id == account_id:
            raise ProtocolError(ErrorCode.BAD_FIELD, "you cannot block yourself", ref)
        if block:
            await self._store.block(account_id, target.id, target.name)
        elif not await self._store.unblock(account_id, target.id):
            raise ProtocolError(ErrorCode.NOT_FOUND, f"you do not block {name!r}", ref)
        blocked = [n for _, n in await self._store.blocks(account_id)]
        member.send(protocol.encode_blocks(blocked, ref))

    async def account(self, name: str, ref: Ref | None) -> Account:
        """The account ``name`` names; ``not_found`` when none."""
        account = await self._store.account_by_key(protocol.name_key(name))
        if account is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no account called {name!r}", ref)
        return account

    async def _on_rooms(self, members: list[Member], _fields: dict[str, Any]) -> None:
        """The person's rooms changed elsewhere: each of its connections gets them again."""
        payload = await self._people.rooms_payload(members[0].identity, members[0].owner)
        for member in members:
            if member.connected:
                member.send(payload)
