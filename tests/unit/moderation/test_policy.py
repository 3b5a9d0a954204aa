"""The pure rules of moderation: who may join, who is muted, who may do what to whom."""

from __future__ import annotations

import pytest

from roomcast.auth.access import Role
from roomcast.auth.identity import GUEST, Identity
from roomcast.moderation.policy import FOREVER, RoomPolicy, sanction_of
from roomcast.store import RoomAccess, Sanction
from roomcast.wire.protocol import ErrorCode, ProtocolError

NOW = 1_700_000_000_000
OWNER = Identity("o1", "olive")
MOD = Identity("m1", "mona")
MEMBER = Identity("u1", "uma")
STRANGER = Identity("s1", "sam")
ADMIN = Identity(None, "root", admin=True)


def access(private: bool = False) -> RoomAccess:
    return RoomAccess(
        "den", "topic", private, "o1", "olive", moderators={"m1": "mona"}, members={"u1": "uma"}
    )


def sanction(
    kind: str, *, account: str | None = None, ip: str | None = None, until: int | None = None
) -> Sanction:
    return Sanction("den", kind, account, ip, "x", "x", until, "mona", "", NOW - 1)


def refused(code: str, call: object, *args: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == code


def test_a_private_room_admits_members_and_above_only() -> None:
    policy = RoomPolicy(access(private=True), [])
    for who in (OWNER, MOD, MEMBER, ADMIN):
        policy.check_entry(who, "1.2.3.4", "den", NOW, None)
    refused(ErrorCode.FORBIDDEN, policy.check_entry, STRANGER, "1.2.3.4", "den", NOW, None)
    refused(ErrorCode.FORBIDDEN, policy.check_entry, GUEST, "1.2.3.4", "den", NOW, None)
    assert policy.may_read(MEMBER)
    assert not policy.may_read(STRANGER)


def test_a_ban_holds_an_account_or_a_guest_address_until_it_ends_but_not_a_moderator() -> None:
    policy = RoomPolicy(
        access(),
        [sanction("ban", account="s1", until=NOW + 1000), sanction("ban", ip="6.6.6.6"),
         sanction("ban", account="m1")],
    )  # fmt: skip
    refused(ErrorCode.BANNED, policy.check_entry, STRANGER, "1.2.3.4", "den", NOW, None)
    policy.check_entry(STRANGER, "1.2.3.4", "den", NOW + 1000, None)  # over
    refused(ErrorCode.BANNED, policy.check_entry, GUEST, "6.6.6.6", "den", NOW, None)
    policy.check_entry(GUEST, "1.2.3.4", "den", NOW, None)
    policy.check_entry(MOD, "1.2.3.4", "den", NOW, None)
    # An account is judged by its account, never by the address it comes from.
    policy.check_entry(MEMBER, "6.6.6.6", "den", NOW, None)


def test_mute_until_is_the_end_forever_when_open_ended_and_zero_for_moderators() -> None:
    policy = RoomPolicy(
        access(), [sanction("mute", account="u1", until=NOW + 5000), sanction("mute", ip="6.6.6.6"),
                   sanction("mute", account="m1")],
    )  # fmt: skip
    assert policy.mute_until(MEMBER, "", NOW) == NOW + 5000
    assert policy.mute_until(GUEST, "6.6.6.6", NOW) == FOREVER
    assert policy.mute_until(MOD, "", NOW) == 0
    assert policy.mute_until(STRANGER, "", NOW) == 0


def test_require_gives_the_role_or_refuses() -> None:
    policy = RoomPolicy(access(), [])
    assert policy.require(OWNER, Role.MODERATOR, None) == Role.OWNER
    refused(ErrorCode.FORBIDDEN, policy.require, MEMBER, Role.MODERATOR, None)


def test_only_the_owner_or_an_admin_names_or_demotes_moderators() -> None:
    policy = RoomPolicy(access(), [])
    policy.check_role_change(Role.MODERATOR, STRANGER, "member", None)
    refused(
        ErrorCode.FORBIDDEN, policy.check_role_change, Role.MODERATOR, STRANGER, "moderator", None
    )
    refused(ErrorCode.FORBIDDEN, policy.check_role_change, Role.MODERATOR, MOD, "none", None)
    policy.check_role_change(Role.OWNER, MOD, "none", None)
    refused(ErrorCode.FORBIDDEN, policy.check_role_change, Role.ADMIN, OWNER, "none", None)


def test_nobody_sanctions_a_role_as_high_as_their_own_except_an_admin() -> None:
    policy = RoomPolicy(access(), [])
    policy.check_sanction(Role.MODERATOR, MEMBER, "uma", "den", None)
    policy.check_sanction(Role.MODERATOR, None, "someone-elsewhere", "den", None)
    refused(ErrorCode.FORBIDDEN, policy.check_sanction, Role.MODERATOR, MOD, "mona", "den", None)
    policy.check_sanction(Role.OWNER, MOD, "mona", "den", None)
    policy.check_sanction(Role.ADMIN, OWNER, "olive", "den", None)


def test_what_each_action_records() -> None:
    assert sanction_of("kick", None, 0, NOW) == (None, None)
    assert sanction_of("kick", None, 1.5, NOW) == ("kick", NOW + 1500)
    assert sanction_of("ban", None, 60, NOW) == ("ban", None)
    assert sanction_of("mute", 30, 60, NOW) == ("mute", NOW + 30_000)
