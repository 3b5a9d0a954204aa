"""What a person asks for beyond its lines: a nickname (the account's, on every connection),
a read marker, a direct conversation, a block. The hub hands these commands here."""

from __future__ import annotations

from typing import Any

from roomcast.chat.direct import Direct
from roomcast.chat.nicknames import Nicknames
from roomcast.chat.people import People
from roomcast.chat.registry import Registry
from roomcast.chat.state import Member
from roomcast.moderation.service import Moderation
from roomcast.presence import Presence
from roomcast.store import Store
from roomcast.wire import protocol
from roomcast.wire.protocol import MarkRead, Ref, SetBlock, StartDirect

PersonCommand = MarkRead | StartDirect | SetBlock


class PersonCommands:
    """Renames, read markers, direct conversations and blocks of this node's members."""

    def __init__(
        self,
        store: Store,
        presence: Presence,
        registry: Registry,
        moderation: Moderation,
        nicknames: Nicknames,
        people: People,
        direct: Direct,
    ) -> None:
        self._store = store
        self._presence = presence
        self._registry = registry
        self._moderation = moderation
        self._nicknames = nicknames
        self._people = people
        self._direct = direct
        people.on("nick", self._renamed_elsewhere)

    async def handle(self, member: Member, command: PersonCommand) -> None:
        match command:
            case MarkRead(room=room, id=message_id, ref=ref):
                await self._people.read(member, room, message_id, ref)
            case StartDirect(names=names, ref=ref):
                room, members = await self._direct.start(member, names, ref)
                policy = await self._moderation.policy(room)
                listed = sorted(members.values(), key=str.casefold)
                member.send(
                    self._moderation.room_payload(policy, member.identity, ref, direct=listed)
                )
            case SetBlock(name=name, block=block, ref=ref):
                await self._direct.set_block(member, name, block, ref)

    async def rename(self, member: Member, wanted: str, ref: Ref | None) -> None:
        """``member`` asks for the nickname ``wanted`` (``Nick``, or a line's new ``Author``)."""
        old = member.nick
        replaced = await self._nicknames.rename(member, wanted, ref)
        if replaced is not None:
            old = replaced  # what this connection was told last
            await self._announce(member)
            if member.identity.account_id is not None:
                self.renamed_account(member)
        member.send(protocol.encode_nick(member.nick, old, ref))

    def renamed_account(self, member: Member) -> None:
        """``member``'s account has a new nickname: its other connections, on every node,
        take it too."""
        self._people.publish(member.owner, {"op": "nick", "from": member.wsid})

    async def _announce(self, member: Member) -> None:
        for room_name in member.room_names():
            await self._presence.join(room_name, member.wsid, member.nick)
            self._registry.userlists.members_changed(room_name)

    async def _renamed_elsewhere(self, members: list[Member], fields: dict[str, Any]) -> None:
        """Another connection of the account chose a nickname: take it here too."""
        others = [m for m in members if m.wsid != fields.get("from") and m.connected]
        if not others:
            return
        identity = others[0].identity
        if identity.account_id is None:
            return
        nick = await self._store.account_nick(identity.account_id) or identity.name
        for member in others:
            if nick and nick != member.nick:
                old, member.nick = member.nick, nick
                await self._announce(member)
                member.send(protocol.encode_nick(nick, old, None))
