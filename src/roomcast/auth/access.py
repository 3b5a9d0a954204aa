"""What an identity may do in a room, without I/O.

Roles are ordered: a server admin may do everything everywhere; a room's owner everything in the
room; its moderators kick, ban, mute, delete messages, set the topic and invite; members (invited
accounts) may join a private room; anyone else may join only a public room. Moderation never
reaches up: nobody can act against a role as high as their own, except an admin.
"""

from __future__ import annotations

import enum

from roomcast.auth.identity import Identity
from roomcast.store import RoomAccess


class Role(enum.IntEnum):
    NONE = 0
    MEMBER = 1
    MODERATOR = 2
    OWNER = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return self.name.lower()


def role_in(access: RoomAccess, identity: Identity) -> Role:
    """The role ``identity`` has in the room described by ``access``."""
    if identity.admin:
        return Role.ADMIN
    account = identity.account_id
    if account is None:
        return Role.NONE
    if account == access.owner_id:
        return Role.OWNER
    if account in access.moderators:
        return Role.MODERATOR
    if account in access.members:
        return Role.MEMBER
    return Role.NONE


def may_enter(access: RoomAccess, role: Role) -> bool:
    """Whether a role lets one join the room (bans are checked apart)."""
    return not access.private or role >= Role.MEMBER


def may_act_on(actor: Role, target: Role) -> bool:
    """Whether a moderator with role ``actor`` may kick, ban or mute someone with ``target``."""
    return actor >= Role.MODERATOR and (actor == Role.ADMIN or actor > target)
