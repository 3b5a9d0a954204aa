"""Room access and moderation: private rooms, owners, moderators, topics, kicks, bans, mutes,
deleted messages and the audit log.

Checks happen when something is asked for, never per delivered frame: joining (the URL's first
room, ``Join``, a resume with ``Since``) is refused to a banned user and, in a private room, to
anyone not invited; history is only served to members of a room; the REST reads check the same
rules (``check_read``). A room's rules (``RoomPolicy``: its access and sanctions in force) are
read from the store once while the room has members on this node and are refreshed when a
moderator changes them.

Moderation reaches every node through the broker, as *control events* on the room's channel: a
publication with message ID ``CONTROL_ID`` (0, never a message's ID) whose payload is a small JSON
object. Each node applies it to its own members: ``refresh`` (re-read the rules, update mutes and
send the new ``Room`` frame), ``reload`` (re-read them quietly), ``remove`` (kick or ban: send
``Kicked`` and take the member out of the room), ``mute``, and ``delete`` (send ``Deleted``). A
ban or mute of a guest is by address, which only the node holding the guest's connection knows,
so that node records it before it removes the guest (whoever sees ``Kicked`` can rely on the
ban being in force) and tells the other nodes to reload. Every action is
recorded in the audit log (who, what, to whom, where, when) before it takes effect.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson

from roomcast.auth.access import Role, may_act_on, may_enter, role_in
from roomcast.auth.identity import Identity
from roomcast.record import record
from roomcast.store import AuditEntry, RoomAccess, Sanction
from roomcast.wire import protocol, websocket
from roomcast.wire.protocol import (
    CreateRoom,
    DeleteMessage,
    ErrorCode,
    Moderate,
    ProtocolError,
    Ref,
    SetRole,
    SetTopic,
)

if TYPE_CHECKING:
    from roomcast.chat.hub import Hub, Member, Room

log = logging.getLogger(__name__)

# The broker message ID that marks a control event (message IDs start at 1).
CONTROL_ID: Final = 0
# "Until lifted", for a subscription's mute.
FOREVER: Final = 2**62


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class RoomPolicy:
    """A room's access (owner, roles, privacy, topic) and the sanctions in force."""

    access: RoomAccess
    sanctions: list[Sanction]

    def sanction(self, kind: str, identity: Identity, remote: str, now: int) -> Sanction | None:
        """The ban or mute in force on this identity (accounts) or address (guests)."""
        for sanction in self.sanctions:
            if sanction.kind != kind or not sanction.active(now):
                continue
            if identity.account_id is not None:
                if sanction.account_id == identity.account_id:
                    return sanction
            elif sanction.ip is not None and sanction.ip == remote:
                return sanction
        return None


@record
class Target:
    """Whom a moderation command names: an account, a guest here, or a nickname elsewhere."""

    name: str
    key: str
    account_id: str | None
    identity: Identity | None
    member: Member | None


class Moderation:
    """The access rules and moderation commands of one hub (one node)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    # -- rules ----------------------------------------------------------------------------------

    async def load(self, room: str) -> RoomPolicy:
        store = self.hub.store
        return RoomPolicy(await store.room_access(room), await store.sanctions(room, now_ms()))

    async def policy(self, room: str) -> RoomPolicy:
        """The room's rules: cached while it has members here, else read from the store."""
        live = self.hub.live_room(room)
        if live is not None and live.policy is not None:
            return live.policy
        return await self.load(room)

    async def admit(self, member: Member, room: str, ref: Ref | None) -> RoomPolicy:
        """The room's rules, or ``forbidden``/``banned`` when ``member`` may not join it."""
        policy = await self.policy(room)
        role = role_in(policy.access, member.identity)
        if not may_enter(policy.access, role):
            raise ProtocolError(
                ErrorCode.FORBIDDEN,
                f"room {room!r} is private: its owner or a moderator must invite you",
                ref,
            )
        if role < Role.MODERATOR:
            ban = policy.sanction("ban", member.identity, member.remote, now_ms())
            if ban is not None:
                raise ProtocolError(ErrorCode.BANNED, _ban_text(room, ban), ref)
        return policy

    def mute_until(self, policy: RoomPolicy, member: Member) -> int:
        """Until when ``member`` is muted in the room (ms), 0 when not muted."""
        if role_in(policy.access, member.identity) >= Role.MODERATOR:
            return 0
        mute = policy.sanction("mute", member.identity, member.remote, now_ms())
        if mute is None:
            return 0
        return FOREVER if mute.until_ms is None else mute.until_ms

    def room_frame(self, policy: RoomPolicy, identity: Identity, ref: Ref | None = None) -> bytes:
        access = policy.access
        return websocket.text_frame(
            protocol.encode_room(
                access.name,
                topic=access.topic,
                private=access.private,
                owner=access.owner_name,
                moderators=sorted(access.moderators.values(), key=str.casefold),
                role=role_in(access, identity).label,
                ref=ref,
            )
        )

    async def check_read(self, identity: Identity, room: str) -> RoomPolicy:
        """For REST reads: ``not_found`` unless the room is public or ``identity`` is a member.

        A private room answers a non-member as if it did not exist.
        """
        policy = await self.policy(room)
        if not may_enter(policy.access, role_in(policy.access, identity)):
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no room {room!r}")
        return policy

    async def readable(self, identity: Identity, rooms: list[str]) -> set[str]:
        """The rooms of ``rooms`` that ``identity`` may see (public, or private and a member)."""
        seen = set()
        for room in rooms:
            policy = await self.policy(room)
            if may_enter(policy.access, role_in(policy.access, identity)):
                seen.add(room)
        return seen

    async def _require(
        self, identity: Identity, room: str, at_least: Role, ref: Ref | None
    ) -> tuple[RoomPolicy, Role]:
        policy = await self.policy(room)
        role = role_in(policy.access, identity)
        if role < at_least:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"you must be the room's {at_least.label} or above", ref
            )
        return policy, role

    # -- commands -------------------------------------------------------------------------------

    async def handle(
        self,
        member: Member,
        command: CreateRoom | SetTopic | SetRole | Moderate | DeleteMessage,
    ) -> None:
        """A moderation command from a WebSocket client; the answer goes to its connection."""
        identity, send = member.identity, member.peer.send
        match command:
            case CreateRoom(room=room, private=private, topic=topic, ref=ref):
                policy = await self.create_room(identity, room, private, topic, ref)
                send(self.room_frame(policy, identity, ref))
            case SetTopic(room=room, topic=topic, ref=ref):
                policy = await self.set_topic(identity, room, topic, ref)
                send(self.room_frame(policy, identity, ref))
            case SetRole(room=room, name=name, role=role, ref=ref):
                policy = await self.set_role(identity, room, name, role, ref)
                send(self.room_frame(policy, identity, ref))
            case Moderate(action=action, room=room, name=name, ref=ref):
                target, until = await self.moderate(
                    identity, action, room, name, command.duration, command.reason, ref
                )
                frame = protocol.encode_moderated(
                    action, room, name=target, until_ms=until, ref=ref
                )
                send(websocket.text_frame(frame))
            case DeleteMessage(room=room, id=message_id, ref=ref):
                await self.delete_message(identity, room, message_id, ref)
                frame = protocol.encode_moderated("delete", room, message_id=message_id, ref=ref)
                send(websocket.text_frame(frame))

    async def create_room(
        self, identity: Identity, room: str, private: bool, topic: str, ref: Ref | None = None
    ) -> RoomPolicy:
        if identity.account_id is None:
            raise ProtocolError(ErrorCode.LOGIN_REQUIRED, "log in to create rooms", ref)
        name = identity.name or identity.account_id
        exists = ProtocolError(ErrorCode.ROOM_EXISTS, f"room {room!r} already exists", ref)
        if await self.hub.presence.members(room):
            raise exists
        if not await self.hub.store.claim_room(room, identity.account_id, name, private, topic):
            raise exists
        await self._audit(identity, "create", room, room, "private" if private else "public")
        return await self._changed(room, {"op": "refresh"})

    async def set_topic(
        self, identity: Identity, room: str, topic: str, ref: Ref | None = None
    ) -> RoomPolicy:
        await self._require(identity, room, Role.MODERATOR, ref)
        await self.hub.store.set_topic(room, topic)
        await self._audit(identity, "topic", room, room, topic)
        return await self._changed(room, {"op": "refresh"})

    async def set_role(
        self, identity: Identity, room: str, name: str, role: str, ref: Ref | None = None
    ) -> RoomPolicy:
        policy, actor = await self._require(identity, room, Role.MODERATOR, ref)
        target = await self._target(name, ref)
        if target.account_id is None:
            raise ProtocolError(ErrorCode.NOT_FOUND, f"{target.name!r} has no account", ref)
        access = policy.access
        current = role_in(access, _account(target))
        if target.account_id == access.owner_id:
            raise ProtocolError(ErrorCode.FORBIDDEN, "the owner's role cannot change", ref)
        if (role == "moderator" or current >= Role.MODERATOR) and actor < Role.OWNER:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "only the owner or an admin names moderators", ref
            )
        await self.hub.store.set_role(
            room, target.account_id, target.name, None if role == "none" else role
        )
        await self._audit(identity, f"role:{role}", room, target.name)
        policy = await self._changed(room, {"op": "refresh"})
        if access.private and role == "none":
            self._publish(
                room,
                {"op": "remove", "account": target.account_id, "by": identity.label,
                 "reason": "no longer invited", "banned": False},
            )  # fmt: skip
        return policy

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
        if target.identity is not None and not may_act_on(
            actor, role_in(policy.access, target.identity)
        ):
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"{target.name!r} is a moderator of {room!r} or above", ref
            )
        now = now_ms()
        store = self.hub.store
        if action in ("unban", "unmute"):
            lifted = await store.lift_sanctions(
                room, action[2:], account_id=target.account_id, name_key=target.key
            )
            if not lifted:
                raise ProtocolError(
                    ErrorCode.NOT_FOUND, f"{target.name!r} is not {action[2:]}ned here", ref
                )
            await self._audit(identity, action, room, target.name, reason)
            await self._changed(room, {"op": "refresh"})
            return target.name, None
        if action == "kick":
            seconds = self.hub.settings.kick_seconds
            until: int | None = now + int(seconds * 1000) if seconds else None
            kind: str | None = "ban" if seconds else None
        else:
            until = now + duration * 1000 if duration else None
            kind = action
        detail = " ".join(
            part for part in (f"until {protocol.iso_time(until)}" if until else "", reason) if part
        )
        await self._audit(identity, action, room, target.name, detail)
        event: dict[str, Any] = {
            "op": "remove" if kind != "mute" else "mute",
            "account": target.account_id,
            "key": None if target.account_id else target.key,
            "by": identity.label,
            "reason": reason,
            "banned": action == "ban",
            "until": until,
        }
        if kind is not None:
            if target.account_id is not None:
                await store.add_sanction(
                    Sanction(room, kind, target.account_id, None, target.name, target.key,
                             until, identity.label, reason, now)
                )  # fmt: skip
            else:
                # A guest is banned by address, recorded by the node that holds its connection.
                event["record"] = kind
        await self._changed(room, event)
        return target.name, until

    async def delete_message(
        self, identity: Identity, room: str, message_id: int, ref: Ref | None = None
    ) -> None:
        await self._require(identity, room, Role.MODERATOR, ref)
        if not await self.hub.store.delete_message(room, message_id):
            raise ProtocolError(ErrorCode.NOT_FOUND, f"no message {message_id} in {room!r}", ref)
        await self._audit(identity, "delete", room, f"message {message_id}")
        self._publish(room, {"op": "delete", "id": message_id})

    async def _target(self, name: str, ref: Ref | None) -> Target:
        """Whom ``name`` names: a connected member, else an account, else a nickname elsewhere."""
        try:
            key = protocol.nick_key(protocol.validate_nick(name))
        except ProtocolError:
            key = protocol.nick_key(name)
        hub = self.hub
        holder = await hub.presence.nick_owner(key)
        member = hub.local_member(holder) if holder else None
        if member is not None:
            identity = member.identity
            return Target(member.nick, key, identity.account_id, identity, member)
        account = await hub.store.account_by_key(key)
        if account is not None:
            identity = Identity(account.id, account.name, hub.auth.is_admin(account.name))
            return Target(account.name, key, account.id, identity, None)
        if holder is not None:
            return Target(name, key, None, None, None)  # connected to another node
        raise ProtocolError(ErrorCode.NOT_FOUND, f"nobody called {name!r} is here", ref)

    async def _audit(
        self, identity: Identity, action: str, room: str, target: str, detail: str = ""
    ) -> None:
        entry = AuditEntry(now_ms(), identity.label, action, room, target, detail)
        await self.hub.store.add_audit(entry)
        log.info("moderation: %s %s %s in %s", identity.label, action, target, room)

    # -- control events -------------------------------------------------------------------------

    async def _changed(self, room: str, event: dict[str, Any]) -> RoomPolicy:
        """The room's rules changed: use them here at once, then tell every node."""
        policy = await self.load(room)
        live = self.hub.live_room(room)
        if live is not None:
            live.policy = policy
        self._publish(room, event)
        return policy

    def _publish(self, room: str, event: dict[str, Any]) -> None:
        self.hub.broker.publish(room, CONTROL_ID, orjson.dumps(event))

    def control(self, room: Room, payload: bytes) -> None:
        """Broker callback for a control event of a room with members on this node."""
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            log.warning("control event for %s is not JSON", room.name)
            return
        self.hub.spawn(self._apply(room, event))

    async def _apply(self, room: Room, event: dict[str, Any]) -> None:
        op = event.get("op")
        if op == "delete":
            frame = websocket.text_frame(protocol.encode_deleted(room.name, int(event["id"])))
            for sub in list(room.subscriptions.values()):
                sub.member.peer.send(frame)
            return
        if op in ("remove", "mute"):
            await self._sanction_here(room, event)
        room.policy = policy = await self.load(room.name)
        if self.hub.live_room(room.name) is not room:
            return
        for sub in list(room.subscriptions.values()):
            member = sub.member
            sub.muted_until = self.mute_until(policy, member)
            if op == "remove" and _matches(event, member):
                await self._remove(room.name, member, event)
            elif op == "refresh":
                member.peer.send(self.room_frame(policy, member.identity))

    async def _sanction_here(self, room: Room, event: dict[str, Any]) -> None:
        """Record a guest's ban or mute by address, when its connection is on this node."""
        kind = event.get("record")
        if kind is None:
            return
        now = now_ms()
        recorded: set[tuple[str | None, str | None]] = set()
        for sub in list(room.subscriptions.values()):
            member = sub.member
            if not _matches(event, member):
                continue
            account = member.identity.account_id
            ip = None if account else member.remote
            if (account, ip) in recorded:
                continue
            recorded.add((account, ip))
            await self.hub.store.add_sanction(
                Sanction(room.name, kind, account, ip, member.nick, protocol.nick_key(member.nick),
                         event.get("until"), str(event.get("by", "")),
                         str(event.get("reason", "")), now)
            )  # fmt: skip
        if recorded:
            self._publish(room.name, {"op": "reload"})  # the other nodes learn of it

    async def _remove(self, room: str, member: Member, event: dict[str, Any]) -> None:
        until = event.get("until")
        member.peer.send(
            websocket.text_frame(
                protocol.encode_kicked(
                    room,
                    by=str(event.get("by", "")),
                    reason=str(event.get("reason", "")),
                    banned=bool(event.get("banned")),
                    until_ms=until if isinstance(until, int) else None,
                )
            )
        )
        await self.hub.remove_from_room(member, room)


def _matches(event: dict[str, Any], member: Member) -> bool:
    """Whether a remove or mute event is about ``member``."""
    account = event.get("account")
    if account is not None:
        return bool(member.identity.account_id == account)
    key = event.get("key")
    return key is not None and protocol.nick_key(member.nick) == key


def _account(target: Target) -> Identity:
    return target.identity or Identity(target.account_id, target.name)


def _ban_text(room: str, ban: Sanction) -> str:
    until = f" until {protocol.iso_time(ban.until_ms)}" if ban.until_ms is not None else ""
    return f"you are banned from {room!r}{until}"
