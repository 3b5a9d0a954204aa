"""The moderation service of one node against fakes of its rooms, presence, bus and clock, with
the real memory store: commands, their audit, control events and how each node applies them."""

from __future__ import annotations

import logging

import pytest

from roomcast.auth.identity import GUEST, Identity
from roomcast.moderation.control import Mute, Refresh, Reload, Remove
from roomcast.store import Account
from roomcast.wire import protocol
from roomcast.wire.protocol import ErrorCode, Moderate, ProtocolError, SetTopic
from unit.moderation.fakes import FakeOccupant, Node

OWNER = Identity("o1", "olive")
MEMBER = Identity("u1", "uma")


async def accounts(node: Node) -> None:
    for identity in (OWNER, MEMBER):
        assert identity.name is not None
        assert identity.account_id is not None
        key = protocol.nick_key(identity.name)
        await node.store.create_account(Account(identity.account_id, identity.name, key, "", 0))


def connect(node: Node, room: str, occupant: FakeOccupant) -> FakeOccupant:
    """``occupant`` holds its nickname and sits in ``room`` on this node."""
    node.presence.nicks[protocol.nick_key(occupant.nick)] = occupant.wsid
    return node.rooms.seat(room, occupant)


async def refused(code: str, awaitable: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        await awaitable  # type: ignore[misc]
    assert caught.value.code == code


async def test_creating_a_room_needs_an_account_and_a_free_name(node: Node) -> None:
    await refused(ErrorCode.LOGIN_REQUIRED, node.moderation.create_room(GUEST, "den", True, ""))
    policy = await node.moderation.create_room(OWNER, "den", True, "plans")
    assert (policy.access.owner_id, policy.access.private, policy.access.topic) == (
        "o1", True, "plans",
    )  # fmt: skip
    assert node.bus.published == [("den", Refresh())]
    await refused(ErrorCode.ROOM_EXISTS, node.moderation.create_room(OWNER, "den", False, ""))
    node.presence.rooms["busy"] = ["someone"]
    await refused(ErrorCode.ROOM_EXISTS, node.moderation.create_room(OWNER, "busy", False, ""))
    [entry] = await node.store.audit_log("den", 10)
    assert (entry.actor, entry.action, entry.detail, entry.time_ms) == (
        "olive", "create", "private", node.clock.ms,
    )  # fmt: skip


async def test_admission_keeps_the_rules_while_the_room_has_members_here(node: Node) -> None:
    await node.moderation.create_room(OWNER, "den", True, "old")
    await refused(ErrorCode.FORBIDDEN, node.moderation.admit(FakeOccupant("w2", "sam"), "den", 1))
    owner = FakeOccupant("w1", "olive", OWNER)
    assert (await node.moderation.admit(owner, "den", None)).access.topic == "old"
    connect(node, "den", owner)
    await node.store.set_topic("den", "new")  # behind moderation's back: not seen yet
    assert (await node.moderation.policy("den")).access.topic == "old"
    await node.rooms.remove("den", "w1")  # the room closes here: its rules are forgotten
    assert (await node.moderation.policy("den")).access.topic == "new"


async def test_a_banned_account_is_recorded_audited_and_removed(node: Node) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", False, "")
    uma = connect(node, "den", FakeOccupant("w2", "uma", MEMBER))
    bystander = connect(node, "den", FakeOccupant("w3", "bea"))
    node.bus.published.clear()
    assert await node.moderation.moderate(OWNER, "ban", "den", "uma", None, "spam") == ("uma", None)
    assert node.bus.published == [("den", Remove("u1", None, "olive", "spam", True, None))]
    [ban] = await node.store.sanctions("den", node.clock.ms)
    assert (ban.kind, ban.account_id, ban.until_ms) == ("ban", "u1", None)
    await node.deliver_published()
    [kicked] = uma.of("Kicked")
    assert (kicked["By"], kicked["Banned"]) == ("olive", True)
    assert node.rooms.occupants("den") == [bystander]
    assert bystander.of("Kicked") == []
    await refused(ErrorCode.BANNED, node.moderation.admit(uma, "den", None))
    [entry, _] = await node.store.audit_log("den", 10)  # newest first
    assert (entry.action, entry.target, entry.detail) == ("ban", "uma", "spam")


async def test_a_kicked_account_is_told_it_was_kicked_and_an_unban_lets_it_back(
    node: Node,
) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", False, "")
    uma = connect(node, "den", FakeOccupant("w2", "uma", MEMBER))
    _, until = await node.moderation.moderate(OWNER, "kick", "den", "uma", None, "")
    [kick] = await node.store.sanctions("den", node.clock.ms)
    assert (kick.kind, kick.account_id, kick.until_ms) == ("kick", "u1", until)
    await node.deliver_published()
    with pytest.raises(ProtocolError) as refusal:
        await node.moderation.admit(uma, "den", None)
    assert refusal.value.code == ErrorCode.BANNED
    assert refusal.value.message.startswith("you were kicked from 'den' and may rejoin at ")
    await node.moderation.moderate(OWNER, "unban", "den", "uma", None, "")
    assert await node.store.sanctions("den", node.clock.ms) == []
    assert (await node.moderation.admit(uma, "den", None)).access is not None


async def test_a_guest_is_banned_by_address_by_the_node_that_holds_it(node: Node) -> None:
    await accounts(node)
    guest = connect(node, "den", FakeOccupant("w2", "Guest1234", remote="6.6.6.6"))
    node.bus.published.clear()
    _, until = await node.moderation.moderate(_admin(), "kick", "den", "Guest1234", None, "")
    assert until == node.clock.ms + 60_000  # a kick keeps out for kick_seconds
    key = protocol.nick_key("Guest1234")
    assert node.bus.published == [("den", Remove(None, key, "root", "", False, until, "kick"))]
    assert await node.store.sanctions("den", node.clock.ms) == []  # not known here yet
    await node.deliver_published()
    [ban] = await node.store.sanctions("den", node.clock.ms)
    assert (ban.kind, ban.ip, ban.account_id, ban.until_ms) == ("kick", "6.6.6.6", None, until)
    assert node.bus.published == [("den", Reload())]  # the other nodes re-read the rules
    assert len(guest.of("Kicked")) == 1
    same_address = FakeOccupant("w9", "Guest5678", remote="6.6.6.6")
    await refused(ErrorCode.BANNED, node.moderation.admit(same_address, "den", None))


def _admin() -> Identity:
    return Identity(None, "root", admin=True)


async def test_a_mute_and_its_end_reach_the_subscriptions_here(node: Node) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", False, "")
    uma = connect(node, "den", FakeOccupant("w2", "uma", MEMBER))
    node.bus.published.clear()
    await node.moderation.moderate(OWNER, "mute", "den", "uma", 30, "calm down")
    until = node.clock.ms + 30_000
    assert node.bus.published == [("den", Mute("u1", None, "olive", "calm down", until))]
    await node.deliver_published()
    assert node.rooms.mutes["den", "w2"] == until
    await node.moderation.moderate(OWNER, "unmute", "den", "uma", None, "")
    await node.deliver_published()
    assert node.rooms.mutes["den", "w2"] == 0
    assert uma.of("Room")[-1]["Role"] == "none"  # a refresh tells everyone the rules again
    await refused(
        ErrorCode.NOT_FOUND, node.moderation.moderate(OWNER, "unmute", "den", "uma", None, "")
    )


async def test_moderators_are_told_apart_and_their_deletions_audited(node: Node) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", False, "")
    assert await node.moderation.may_moderate(OWNER, "den")
    assert not await node.moderation.may_moderate(MEMBER, "den")
    await node.moderation.set_role(OWNER, "den", "uma", "moderator")
    assert await node.moderation.may_moderate(MEMBER, "den")
    await node.moderation.audit_deletion(OWNER, "den", 7)
    (entry, *_) = await node.store.audit_log("den", 10)
    assert (entry.action, entry.room, entry.target) == ("delete", "den", "message 7")


async def test_nobody_acts_on_a_role_as_high_as_their_own(node: Node) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", False, "")
    await node.moderation.set_role(OWNER, "den", "uma", "moderator")
    await refused(
        ErrorCode.FORBIDDEN, node.moderation.moderate(MEMBER, "kick", "den", "olive", None, "")
    )
    await refused(ErrorCode.FORBIDDEN, node.moderation.set_role(MEMBER, "den", "olive", "none"))
    await refused(
        ErrorCode.FORBIDDEN, node.moderation.set_topic(Identity("x", "xavier"), "den", "mine")
    )


async def test_losing_the_invitation_to_a_private_room_removes_its_member(node: Node) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", True, "")
    await node.moderation.set_role(OWNER, "den", "uma", "member")
    uma = connect(node, "den", FakeOccupant("w2", "uma", MEMBER))
    node.bus.published.clear()
    await node.moderation.set_role(OWNER, "den", "uma", "none")
    assert node.bus.published == [
        ("den", Refresh()),
        ("den", Remove("u1", None, "olive", "no longer invited", False)),
    ]
    await node.deliver_published()
    assert uma.of("Kicked")[0]["Reason"] == "no longer invited"
    assert not node.rooms.has_room("den")


async def test_commands_from_a_connection_are_answered_to_it(node: Node) -> None:
    await accounts(node)
    await node.moderation.create_room(OWNER, "den", False, "")
    owner = connect(node, "den", FakeOccupant("w1", "olive", OWNER))
    await node.moderation.handle(owner, SetTopic("den", "news", ref="t"))
    [room] = owner.of("Room")
    assert (room["Topic"], room["Ref"], room["Role"]) == ("news", "t", "owner")
    connect(node, "den", FakeOccupant("w2", "uma", MEMBER))
    await node.moderation.handle(owner, Moderate("kick", "den", "uma", ref=2))
    [moderated] = owner.of("Moderated")
    assert (moderated["Action"], moderated["Name"], moderated["Ref"]) == ("kick", "uma", 2)


async def test_control_events_of_other_rooms_or_not_events_are_ignored(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    connect(node, "den", FakeOccupant("w1", "olive", OWNER))
    node.moderation.control("elsewhere", b'{"op": "delete", "id": 1}')
    with caplog.at_level(logging.WARNING):
        node.moderation.control("den", b"not an event")
    assert node.rooms.tasks == []
    assert "control event for den ignored" in caplog.text
