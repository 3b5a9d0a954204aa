"""Moderation's pure rules: a room's policy (its access and the sanctions in force) and what the
rules decide about joining, talking, roles and sanctions. No I/O; every rule is given the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from roomcast.auth.access import Role, may_act_on, may_enter, role_in
from roomcast.auth.identity import Identity
from roomcast.store import RoomAccess, Sanction
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, ProtocolError, Ref

# "Until lifted", for a member's mute.
FOREVER: Final = 2**62


@dataclass(slots=True)
class RoomPolicy:
    """A room's access (owner, roles, privacy, topic) and the sanctions in force."""

    access: RoomAccess
    sanctions: list[Sanction]

    def role(self, identity: Identity) -> Role:
        return role_in(self.access, identity)

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

    def may_read(self, identity: Identity) -> bool:
        """Whether ``identity`` may see the room: it is public, or ``identity`` is a member."""
        return may_enter(self.access, self.role(identity))

    def check_entry(
        self, identity: Identity, remote: str, room: str, now: int, ref: Ref | None
    ) -> None:
        """Raise ``forbidden`` (private, not invited) or ``banned`` unless one may join."""
        role = self.role(identity)
        if not may_enter(self.access, role):
            raise ProtocolError(
                ErrorCode.FORBIDDEN,
                f"room {room!r} is private: its owner or a moderator must invite you",
                ref,
            )
        if role < Role.MODERATOR:
            ban = self.sanction("ban", identity, remote, now) or self.sanction(
                "kick", identity, remote, now
            )
            if ban is not None:
                raise ProtocolError(ErrorCode.BANNED, _ban_text(room, ban), ref)

    def mute_until(self, identity: Identity, remote: str, now: int) -> int:
        """Until when one is muted in the room (ms): 0 when not, ``FOREVER`` until lifted."""
        if self.role(identity) >= Role.MODERATOR:
            return 0
        mute = self.sanction("mute", identity, remote, now)
        if mute is None:
            return 0
        return FOREVER if mute.until_ms is None else mute.until_ms

    def require(self, identity: Identity, at_least: Role, ref: Ref | None) -> Role:
        """The role of ``identity``, or ``forbidden`` when it is below ``at_least``."""
        role = self.role(identity)
        if role < at_least:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"you must be the room's {at_least.label} or above", ref
            )
        return role

    def check_role_change(self, actor: Role, target: Identity, role: str, ref: Ref | None) -> None:
        """Refuse changing the owner's role, and naming or demoting moderators below owner."""
        if target.account_id == self.access.owner_id:
            raise ProtocolError(ErrorCode.FORBIDDEN, "the owner's role cannot change", ref)
        if (role == "moderator" or self.role(target) >= Role.MODERATOR) and actor < Role.OWNER:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "only the owner or an admin names moderators", ref
            )

    def check_sanction(
        self, actor: Role, target: Identity | None, name: str, room: str, ref: Ref | None
    ) -> None:
        """Refuse acting on someone whose role is as high as the actor's (an admin excepted)."""
        if target is not None and not may_act_on(actor, self.role(target)):
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"{name!r} is a moderator of {room!r} or above", ref
            )


def sanction_of(
    action: str, duration: int | None, kick_seconds: float, now: int
) -> tuple[str | None, int | None]:
    """What kick, ban or mute records (its kind, None for a plain kick) and until when.

    A kick keeps its target out for ``kick_seconds`` when that is set (a sanction of kind
    "kick", which bars joining as a ban does), so the kicked cannot rejoin at once.
    """
    if action == "kick":
        if not kick_seconds:
            return None, None
        return "kick", now + int(kick_seconds * 1000)
    return action, now + duration * 1000 if duration else None


def _ban_text(room: str, ban: Sanction) -> str:
    until = f" until {protocol.iso_time(ban.until_ms)}" if ban.until_ms is not None else ""
    if ban.kind == "kick":
        return f"you were kicked from {room!r} and may rejoin{until.replace(' until', ' at')}"
    return f"you are banned from {room!r}{until}"
