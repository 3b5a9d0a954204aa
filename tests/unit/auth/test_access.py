"""Roles in a room, who may enter it, and who may act against whom."""

from __future__ import annotations

import pytest

from roomcast.auth.access import Role, may_act_on, may_enter, role_in
from roomcast.auth.identity import API_KEY_IDENTITY, GUEST, Identity
from roomcast.store import RoomAccess

ROOM = RoomAccess(
    "den",
    private=True,
    owner_id="o1",
    owner_name="olga",
    moderators={"m1": "max"},
    members={"u1": "uma", "m1": "max"},
)


@pytest.mark.parametrize(
    ("identity", "role"),
    [
        (GUEST, Role.NONE),
        (API_KEY_IDENTITY, Role.ADMIN),
        (Identity("o1", "olga", via="session"), Role.OWNER),
        (Identity("m1", "max", via="session"), Role.MODERATOR),  # also a member: the higher
        (Identity("u1", "uma", via="token"), Role.MEMBER),
        (Identity("x1", "xavier", via="session"), Role.NONE),
        (Identity("x1", "xavier", admin=True, via="session"), Role.ADMIN),
        (Identity("jwt:o1", "olga", via="jwt"), Role.NONE),  # another site's "o1" is not ours
        (Identity(None, "olga"), Role.NONE),  # a name alone proves nothing
    ],
)
def test_role_in(identity: Identity, role: Role) -> None:
    assert role_in(ROOM, identity) is role


def test_a_room_without_a_row_gives_everyone_no_role() -> None:
    public = RoomAccess("lobby")
    assert role_in(public, Identity("o1", "olga", via="session")) is Role.NONE
    assert all(may_enter(public, role) for role in Role)


def test_only_members_and_above_enter_a_private_room() -> None:
    assert [role for role in Role if may_enter(ROOM, role)] == [
        Role.MEMBER,
        Role.MODERATOR,
        Role.OWNER,
        Role.ADMIN,
    ]


@pytest.mark.parametrize(
    ("actor", "targets"),
    [
        (Role.NONE, []),
        (Role.MEMBER, []),
        (Role.MODERATOR, [Role.NONE, Role.MEMBER]),
        (Role.OWNER, [Role.NONE, Role.MEMBER, Role.MODERATOR]),
        (Role.ADMIN, list(Role)),  # an admin even acts on another admin
    ],
)
def test_moderation_never_reaches_up(actor: Role, targets: list[Role]) -> None:
    assert [target for target in Role if may_act_on(actor, target)] == targets


def test_role_labels() -> None:
    assert [role.label for role in Role] == ["none", "member", "moderator", "owner", "admin"]
