"""The moderation service of one node: private rooms, owners, moderators, topics, kicks, bans,
mutes and the audit log (a moderator's deletion of another's message included).

Checks happen when something is asked for, never per delivered frame: joining (the URL's first
room, ``Join``, a resume with ``Since``) is refused to a banned user and, in a private room, to
anyone not invited; history is only served to members of a room; the REST reads check the same
rules (``check_read``). A room's rules (``RoomPolicy``) are read from the store once while the
room has members on this node and are refreshed when a moderator changes them.

A change reaches every node as a control event (``moderation.control``) on the broker's control
channel; each node applies it to its own members. A ban or mute of a guest is by address, which
only the node holding the guest's connection knows, so that node records it before it removes
the guest (whoever sees ``Kicked`` can rely on the ban being in force) and tells the other nodes
to reload. Every action is recorded in the audit log (who, what, to whom, where, when) before it
takes effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from roomcast.auth.access import Role
from roomcast.auth.identity import Identity
from roomcast.clock import Clock
from roomcast.moderation import control
from roomcast.moderation.control import ControlEvent, Mute, Refresh, Reload, Remove
from roomcast.moderation.policy import RoomPolicy, sanction_of
from roomcast.moderation.ports import AccessStore, ControlBus, LocalRooms, Occupant, RoomPresence
from roomcast.record import record
from roomcast.store import AuditEntry, Sanction
from roomcast.wire import protocol
from roomcast.wire.protocol import (
    CreateRoom,
    ErrorCode,
    Moderate,
    ProtocolError,
    Ref,
    SetRole,
    SetTopic,
)

log = logging.getLogger(__name__)

RoomCommand = CreateRoom | SetTopic | SetRole | Moderate


@record
class Target:
    """Whom a moderation command names: an account, a guest here, or a nickname elsewhere."""

    name: str
    key: str
    account_id: str | None
    identity: Identity | None

    def account_identity(self) -> Identity:
        return self.identity or Identity(self.account_id, self.name)


class Moderation:
    """The access rules and moderation commands of one node."""

    def __init__(
        self,
        store: AccessStore,
        presence: RoomPresence,
        bus: ControlBus,
        rooms: LocalRooms,
        *,
        clock: Clock,
        is_admin: Callable[[str], bool],
        kick_seconds: float,
    ) -> None:
        """``is_admin``: whether an account name is a server admin; ``kick_seconds``: how long
        a kick keeps its target out (0: it may rejoin at once)."""
        self.store = store
        self.presence = presence
        self.bus = bus
        self.rooms = rooms
        self.clock = clock
        self.is_admin = is_admin
        self.kick_seconds = kick_seconds
        # The rules of the rooms with members on this node.
        self._policies: dict[str, RoomPolicy] = {}
        rooms.on_room_closed(self.forget)

    # -- rules ----------------------------------------------------------------------------------

    async def load(self, room: str) -> RoomPolicy:
        store = self.store
        return RoomPolicy(
            await store.room_access(room), await store.sanctions(room, self.clock.now_ms())
        )

    async def policy(self, room: str) -> RoomPolicy:
        """The room's rules: kept while it has members here, else read from the store."""
        kept = self._policies.get(room)
        if kept is not None:
            return kept
        return await self.load(room)

    async def admit(self, member: Occupant, room: str, ref: Ref | None) -> RoomPolicy:
        """The rules of the room ``member`` is about to enter, kept from now on until ``forget``;
        ``forbidden``/``banned`` when it may not."""
        policy = await self.policy(room)
        policy.check_entry(member.identity, member.remote, room, self.clock.now_ms(), ref)
        return self._policies.setdefault(room, policy)

    def forget(self, room: str) -> None:
        """The room has no members on this node any more."""
        self._policies.pop(room, None)

    def room_payload(
        self,
        policy: RoomPolicy,
        identity: Identity,
        ref: Ref | None = None,
        *,
        direct: list[str] | None = None,
    ) -> bytes:
        """The ``Room`` frame that tells ``identity`` the room's topic, owner and its role;
        ``direct``: the members' names of a direct conversation."""
        access = policy.access
        return protocol.encode_room(
            access.name,
            topic=access.topic,
            private=access.private,
            owner=access.owner_name,
            moderators=sorted(access.moderators.values(), key=str.casefold),
            role=policy.role(identity).label,
            members=direct,
            ref=ref,
        )

    async def check_read(self, identity: Identity, room: str) -> RoomPolicy:
        """For REST reads: ``not_found`` unless the room is public or ``identity`` is a member.

        A private room answers a non-member as if it did not exist.
        """
        policy = await self.policy(room)
        if not policy.may_read(identity):
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no room {room!r}")
        return policy

    async def readers(self, room: str, accounts: dict[str, str]) -> set[str]:
        """The accounts of ``accounts`` (ID -> name) that may read ``room``."""
        policy = await self.policy(room)
        return {
            account_id
            for account_id, name in accounts.items()
            if policy.may_read(Identity(account_id, name, self.is_admin(name)))
        }

    async def readable(self, identity: Identity, rooms: list[str]) -> set[str]:
        """The rooms of ``rooms`` that ``identity`` may see (public, or private and a member)."""
        return {room for room in rooms if (await self.policy(room)).may_read(identity)}

    async def _require(
        self, identity: Identity, room: str, at_least: Role, ref: Ref | None
    ) -> tuple[RoomPolicy, Role]:
        policy = await self.policy(room)
        return policy, policy.require(identity, at_least, ref)

    # -- commands -------------------------------------------------------------------------------

    async def handle(self, member: Occupant, command: RoomCommand) -> None:
        """A moderation command from a WebSocket client; the answer goes to its connection."""
        identity, send = member.identity, member.send
        match command:
            case CreateRoom(room=room, private=private, topic=topic, ref=ref):
                policy = await self.create_room(identity, room, private, topic, ref)
                send(self.room_payload(policy, identity, ref))
            case SetTopic(room=room, topic=topic, ref=ref):
                policy = await self.set_topic(identity, room, topic, ref)
                send(self.room_payload(policy, identity, ref))
            case SetRole(room=room, name=name, role=role, ref=ref):
                policy = await self.set_role(identity, room, name, role, ref)
                send(self.room_payload(policy, identity, ref))
            case Moderate(action=action, room=room, name=name, ref=ref):
                target, until = await self.moderate(
                    identity, action, room, name, command.duration, command.reason, ref
                )
                send(protocol.encode_moderated(action, room, name=target, until_ms=until, ref=ref))

    async def create_room(
        self, identity: Identity, room: str, private: bool, topic: str, ref: Ref | None = None
    ) -> RoomPolicy:
        if identity.account_id is None:
            raise ProtocolError(ErrorCode.LOGIN_REQUIRED, "log in to create rooms", ref)
        if room.startswith(protocol.DIRECT_ROOM_PREFIX):
            raise ProtocolError(ErrorCode.FORBIDDEN, "dm. names are for direct conversations", ref)
        name = identity.name or identity.account_id
        exists = ProtocolError(ErrorCode.ROOM_EXISTS, f"room {room!r} already exists", ref)
        if await self.presence.members(room):
            raise exists
        if not await self.store.claim_room(room, identity.account_id, name, private, topic):
            raise exists
        await self._audit(identity, "create", room, room, "private" if private else "public")
        return await self._changed(room, Refresh())

    async def set_topic(
        self, identity: Identity, room: str, topic: str, ref: Ref | None = None
    ) -> RoomPolicy:
        await self._require(identity, room, Role.MODERATOR, ref)
        await self.store.set_topic(room, topic)
        await self._audit(identity, "topic", room, room, topic)
        return await self._changed(room, Refresh())

    async def set_role(
        self, identity: Identity, room: str, name: str, role: str, ref: Ref | None = None
    ) -> RoomPolicy:
        policy, actor = await self._require(identity, room, Role.MODERATOR, ref)
        target = await self._target(name, ref)
        if target.account_id is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"{target.name!r} has no account", ref)
        policy.check_role_change(actor, target.account_identity(), role, ref)
        await self.store.set_role(
            room, target.account_id, target.name, None if role == "none" else role
        )
        await self._audit(identity, f"role:{role}", room, target.name)
        changed = await self._changed(room, Refresh())
        if policy.access.private and role == "none":
            self._publish(
                room, Remove(target.account_id, None, identity.label, "no longer invited", False)
            )
        return changed

    async def moderate(
        self,
        identity: Identity,
        action: str,
        room: str,
        name: str,
        duration: int | None,
        reason: str,
        ref: Ref | None = None,
    ) -> tuple[str, int | None]:
        """Kick, ban, unban, mute or unmute; the target's name and until when it holds."""
        policy, actor = await self._require(identity, room, Role.MODERATOR, ref)
        target = await self._target(name, ref)
        policy.check_sanction(actor, target.identity, target.name, room, ref)
        if action in ("unban", "unmute"):
            await self._lift(identity, action, room, target, reason, ref)
            return target.name, None
        now = self.clock.now_ms()
        kind, until = sanction_of(action, duration, self.kick_seconds, now)
        detail = " ".join(
            part for part in (f"until {protocol.iso_time(until)}" if until else "", reason) if part
        )
        await self._audit(identity, action, room, target.name, detail)
        # A guest is banned by address, recorded by the node that holds its connection.
        guest_sanction = kind if kind is not None and target.account_id is None else None
        key = None if target.account_id else target.key
        event: Remove | Mute
        if kind == "mute":
            event = Mute(target.account_id, key, identity.label, reason, until, guest_sanction)
        else:
            event = Remove(
                target.account_id, key, identity.label, reason, action == "ban", until,
                guest_sanction,
            )  # fmt: skip
        if kind is not None and target.account_id is not None:
            await self.store.add_sanction(
                Sanction(room, kind, target.account_id, None, target.name, target.key,
                         until, identity.label, reason, now)
            )  # fmt: skip
        await self._changed(room, event)
        return target.name, until

    async def _lift(
        self,
        identity: Identity,
        action: str,
        room: str,
        target: Target,
        reason: str,
        ref: Ref | None,
    ) -> None:
        kind = action[2:]
        lifted = await self.store.lift_sanctions(
            room, kind, account_id=target.account_id, name_key=target.key
        )
        if kind == "ban":  # an unban also lets a kicked person back in at once
            lifted = (
                await self.store.lift_sanctions(
                    room, "kick", account_id=target.account_id, name_key=target.key
                )
                or lifted
            )
        if not lifted:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"{target.name!r} is not {kind}ned here", ref)
        await self._audit(identity, action, room, target.name, reason)
        await self._changed(room, Refresh())

    async def may_moderate(self, identity: Identity, room: str) -> bool:
        """Whether ``identity`` is a moderator of ``room`` (or its owner, or an admin)."""
        return (await self.policy(room)).role(identity) >= Role.MODERATOR

    async def audit_deletion(self, identity: Identity, room: str, message_id: int) -> None:
        """Record that a moderator deleted another's message (the deletion is a log event)."""
        await self._audit(identity, "delete", room, f"message {message_id}")

    async def _target(self, name: str, ref: Ref | None) -> Target:
        """Whom ``name`` names: a connected member, else an account, else a nickname elsewhere."""
        key = protocol.name_key(name)
        holder = await self.presence.nick_owner(key)
        member = self.rooms.local_member(holder) if holder else None
        if member is not None:
            identity = member.identity
            return Target(member.nick, key, identity.account_id, identity)
        account = await self.store.account_by_key(key)
        if account is not None:
            admin = account.admin or self.is_admin(account.name)
            identity = Identity(account.id, account.name, admin)
            return Target(account.name, key, account.id, identity)
        if holder is not None:
            return Target(name, key, None, None)  # connected to another node
        raise ProtocolError(ErrorCode.NOT_FOUND, f"nobody called {name!r} is here", ref)

    async def _audit(
        self, identity: Identity, action: str, room: str, target: str, detail: str = ""
    ) -> None:
        entry = AuditEntry(self.clock.now_ms(), identity.label, action, room, target, detail)
        await self.store.add_audit(entry)
        log.info("moderation: %s %s %s in %s", identity.label, action, target, room)

    # -- control events -------------------------------------------------------------------------

    async def _changed(self, room: str, event: ControlEvent) -> RoomPolicy:
        """The room's rules changed: use them here at once, then tell every node."""
        policy = await self.load(room)
        if self.rooms.has_room(room):
            self._policies[room] = policy
        self._publish(room, event)
        return policy

    def _publish(self, room: str, event: ControlEvent) -> None:
        self.bus.publish_control(room, control.encode(event))

    def control(self, room: str, payload: bytes) -> None:
        """Broker callback: a control event about ``room``, from any node (this one too)."""
        if not self.rooms.has_room(room):
            return
        try:
            event = control.decode(payload)
        except control.BadControlEvent as exc:
            log.warning("control event for %s ignored: %s", room, exc)
            return
        self.rooms.spawn(self.apply(room, event))

    async def apply(self, room: str, event: ControlEvent) -> None:
        """Carry out a control event on this node's members of ``room``."""
        if isinstance(event, Remove | Mute):
            await self._sanction_here(room, event)
        policy = await self.load(room)
        if not self.rooms.has_room(room):
            return
        self._policies[room] = policy
        now = self.clock.now_ms()
        for occupant in list(self.rooms.occupants(room)):
            identity = occupant.identity
            self.rooms.set_mute(
                room, occupant.wsid, policy.mute_until(identity, occupant.remote, now)
            )
            if isinstance(event, Remove) and control.concerns(
                event, identity.account_id, occupant.nick
            ):
                await self._remove(room, occupant, event)
            elif isinstance(event, Refresh):
                occupant.send(self.room_payload(policy, identity))

    async def _sanction_here(self, room: str, event: Remove | Mute) -> None:
        """Record a guest's ban or mute by address, when its connection is on this node."""
        kind = event.guest_sanction
        if kind is None:
            return
        now = self.clock.now_ms()
        recorded: set[tuple[str | None, str | None]] = set()
        for occupant in list(self.rooms.occupants(room)):
            account = occupant.identity.account_id
            if not control.concerns(event, account, occupant.nick):
                continue
            ip = None if account else occupant.remote
            if (account, ip) in recorded:
                continue
            recorded.add((account, ip))
            nick = occupant.nick
            await self.store.add_sanction(
                Sanction(room, kind, account, ip, nick, protocol.nick_key(nick), event.until,
                         event.by, event.reason, now)
            )  # fmt: skip
        if recorded:
            self._publish(room, Reload())  # the other nodes learn of it

    async def _remove(self, room: str, occupant: Occupant, event: Remove) -> None:
        occupant.send(
            protocol.encode_kicked(
                room, by=event.by, reason=event.reason, banned=event.banned, until_ms=event.until
            )
        )
        await self.rooms.remove(room, occupant.wsid)
