"""The person-level layer through the hub, on the memory store and broker: one nickname and one
userlist entry per account, the person's rooms after Status, read markers synced across its
connections, mentions and their Notify, direct conversations and blocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from roomcast.auth import Identity
from roomcast.broker.memory import MemoryBroker
from roomcast.chat.hub import Hub
from roomcast.chat.state import DirectFanout, Member
from roomcast.ops.config import Settings
from roomcast.ops.metrics import Metrics
from roomcast.ops.wiring import build_hub
from roomcast.presence.memory import MemoryPresence
from roomcast.store import Account
from roomcast.store.memory import MemoryStore
from roomcast.store.people import PENDING
from roomcast.wire.protocol import nick_key

from .conftest import FakeClock, RecordingPeer, b64, send_frame

Peers = Callable[[str], RecordingPeer]
ALICE = Identity("id-alice", "alice")
BOB = Identity("id-bob", "bob")
CAROL = Identity("id-carol", "carol")


@pytest.fixture
async def hub(clock: FakeClock) -> AsyncIterator[Hub]:
    """A hub whose store knows alice, bob and carol, with the webhook on."""
    store = MemoryStore()
    the_hub = build_hub(
        Settings(userlist_interval=0.01, notify_webhook_url="http://127.0.0.1:9/hook"),
        store,
        MemoryBroker(),
        MemoryPresence(),
        fanout=DirectFanout,
        metrics=Metrics(),
        clock=clock,
    )
    await the_hub.start()
    for identity in (ALICE, BOB, CAROL):
        assert identity.account_id is not None
        assert identity.name is not None
        key = nick_key(identity.name)
        account = Account(identity.account_id, identity.name, key, "h", 0)
        await store.create_account(account)
    yield the_hub
    await the_hub.stop()


async def say(hub: Hub, member: Member, frame: dict[str, Any]) -> None:
    await send_frame(hub, member, frame)
    await settle()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.02)


async def test_an_accounts_connections_share_its_nickname_and_one_entry(
    hub: Hub, peer: Peers
) -> None:
    tabs = [peer(f"t{n}") for n in range(3)]
    members = [await hub.connect(tab, room="r", identity=ALICE) for tab in tabs]
    await settle()
    assert [m.nick for m in members] == ["alice"] * 3
    assert [f["Users"] for f in tabs[0].of("userlist")][-1] == [{"Name": "alice"}]
    # The second and third tab changed no name: the first tab was not told again.
    assert len(tabs[0].of("userlist")) == 1
    for tab in tabs:
        assert tab.of("Error") == []


async def test_a_chosen_nickname_reaches_every_connection_of_the_account(
    hub: Hub, peer: Peers
) -> None:
    one, two = peer("one"), peer("two")
    first = await hub.connect(one, room="r", identity=ALICE)
    second = await hub.connect(two, room="r", identity=ALICE)
    await say(hub, first, {"Type": "Nick", "Name": "Ally"})
    assert (first.nick, second.nick) == ("Ally", "Ally")
    assert two.of("Nick")[-1] == {"Type": "Nick", "Name": "Ally", "Old": "alice"}
    again = peer("three")
    third = await hub.connect(again, room="r", identity=ALICE)
    assert third.nick == "Ally"  # kept for the account
    guest = peer("g")
    intruder = await hub.connect(guest, room="r", nick="ally")
    assert intruder.nick != "ally"
    assert guest.of("Error")[-1]["Code"] == "nick_registered"


async def test_the_persons_rooms_come_after_status(hub: Hub, peer: Peers) -> None:
    first = peer("a")
    alice = await hub.connect(first, room="r", identity=ALICE)
    await say(hub, alice, {"Type": "Join", "Room": "s"})
    assert first.of("Rooms") == [{"Type": "Rooms", "Rooms": []}]
    bob = await hub.connect(peer("b"), room="r", identity=BOB)
    await say(hub, bob, {"Message": b64("hi"), "Room": "r"})
    later = peer("later")
    await hub.connect(later, room="s", identity=ALICE)
    assert later.frames[0]["Type"] == "Status"
    assert later.frames[1] == {
        "Type": "Rooms",
        "Rooms": [
            {"Room": "r", "LastID": 1, "ReadID": 0, "Unread": 1, "Mentions": 0, "Direct": False},
            {"Room": "s", "LastID": 0, "ReadID": 0, "Unread": 0, "Mentions": 0, "Direct": False},
        ],
    }
    await say(hub, alice, {"Type": "Leave", "Room": "s"})
    fresh = peer("fresh")
    await hub.connect(fresh, room="r", identity=ALICE)
    assert [r["Room"] for r in fresh.of("Rooms")[0]["Rooms"]] == ["r"]


async def test_a_guest_gets_its_rooms_back_with_its_session(hub: Hub, peer: Peers) -> None:
    first = peer("g1")
    guest = await hub.connect(first, room="r")
    assert first.of("Rooms") == []  # a new guest has none to restore
    session = guest.session
    await hub.disconnect(guest)
    back = peer("g2")
    await hub.connect(back, room="r", session=session)
    assert [r["Room"] for r in back.of("Rooms")[0]["Rooms"]] == ["r"]


async def test_a_read_marker_reaches_the_persons_other_connections(hub: Hub, peer: Peers) -> None:
    one, two = peer("one"), peer("two")
    first = await hub.connect(one, room="r", identity=ALICE)
    await hub.connect(two, room="r", identity=ALICE)
    bob = await hub.connect(peer("b"), room="r", identity=BOB)
    for text in ("1", "2", "3"):
        await say(hub, bob, {"Message": b64(text), "Room": "r"})
    await say(hub, first, {"Type": "Read", "Room": "r", "ID": 2})
    assert two.of("Read") == [{"Type": "Read", "Room": "r", "ID": 2}]
    assert one.of("Read") == []
    await say(hub, first, {"Type": "Read", "Room": "r", "ID": 1})  # never back
    assert two.of("Read")[-1]["ID"] == 2
    await say(hub, first, {"Type": "Read", "Room": "r", "ID": 99})  # clamped
    assert two.of("Read")[-1]["ID"] == 3
    third = peer("three")
    await hub.connect(third, room="r", identity=ALICE)
    assert third.of("Joined")[0]["ReadID"] == 3
    await say(hub, first, {"Type": "Read", "Room": "elsewhere", "ID": 1})
    assert one.of("Error")[-1]["Code"] == "not_in_room"


async def test_the_node_follows_a_person_while_it_holds_one_of_its_connections(
    hub: Hub, peer: Peers
) -> None:
    tabs = [await hub.connect(peer(f"t{i}"), room="r", identity=ALICE) for i in range(3)]
    person, channel = tabs[0].owner, tabs[0].person_channel
    assert (person, channel) == ("a:id-alice", "~p:a:id-alice")
    assert hub.people.connections(person) == tabs
    for gone, left in ((1, [tabs[0], tabs[2]]), (0, [tabs[2]]), (2, [])):
        assert isinstance(hub.broker, MemoryBroker)
        assert channel in hub.broker._rooms
        await hub.disconnect(tabs[gone])
        assert hub.people.connections(person) == left
    assert channel not in hub.broker._rooms
    guest = await hub.connect(peer("g"), room="r")
    assert guest.owner == "g:" + guest.sender
    assert hub.people.connections(guest.owner) == [guest]


async def test_a_mention_notifies_the_person_and_counts(hub: Hub, peer: Peers) -> None:
    alice_tab, bob_tab, bob_phone = peer("a"), peer("b1"), peer("b2")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    await hub.connect(bob_tab, room="r", identity=BOB)
    await hub.connect(bob_phone, room="elsewhere", identity=BOB)
    await say(hub, alice, {"Message": b64("@BOB, look (and @nobody, @alice)"), "Room": "r"})
    chat = bob_tab.of("Chat")[-1]
    assert chat["Mentions"] == ["bob", "alice"]
    for tab in (bob_tab, bob_phone):
        (notify,) = tab.of("Notify")
        assert notify == {
            "Type": "Notify",
            "Kind": "mention",
            "Room": "r",
            "ID": chat["ID"],
            "Author": "alice",
            "Message": b64("@BOB, look (and @nobody, @alice)"),
        }
    assert alice_tab.of("Notify") == []  # one's own name: no notification
    counts = await hub.store.person_rooms("a:id-bob")
    assert [(r.room, r.unread, r.mentions) for r in counts] == [("r", 1, 1), ("elsewhere", 0, 0)]
    assert (await hub.store.notification_counts())[PENDING] == 1  # the webhook, if still unread


async def test_a_direct_conversation_is_for_its_people(hub: Hub, peer: Peers) -> None:
    alice_tab, bob_tab, carol_tab = peer("a"), peer("b"), peer("c")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    bob = await hub.connect(bob_tab, room="r", identity=BOB)
    carol = await hub.connect(carol_tab, room="r", identity=CAROL)
    await say(hub, alice, {"Type": "Direct", "Names": ["bob"], "Ref": "d"})
    (answer,) = [f for f in alice_tab.of("Room") if f.get("Ref") == "d"]
    room = answer["Room"]
    assert room.startswith("dm.")
    assert (answer["Direct"], answer["Members"]) == (True, ["alice", "bob"])
    # The same people, the same room; bob's connections learn of it.
    await say(hub, bob, {"Type": "Direct", "Names": ["alice"], "Ref": "e"})
    assert next(f for f in bob_tab.of("Room") if f.get("Ref") == "e")["Room"] == room
    (entry,) = [r for r in bob_tab.of("Rooms")[-1]["Rooms"] if r["Room"] == room]
    assert (entry["Direct"], entry["Members"]) == (True, ["alice", "bob"])
    await say(hub, carol, {"Type": "Join", "Room": room, "Ref": "j"})
    assert carol_tab.of("Error")[-1]["Code"] == "forbidden"
    await say(hub, alice, {"Type": "Join", "Room": room})
    await say(hub, alice, {"Message": b64("just you"), "Room": room})
    (notify,) = bob_tab.of("Notify")
    assert (notify["Kind"], notify["Room"]) == ("direct", room)
    assert carol_tab.of("Notify") == []


async def test_direct_asks_for_accounts(hub: Hub, peer: Peers) -> None:
    guest_tab, alice_tab = peer("g"), peer("a")
    guest = await hub.connect(guest_tab, room="r")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    await say(hub, guest, {"Type": "Direct", "Names": ["bob"]})
    assert guest_tab.of("Error")[-1]["Code"] == "login_required"
    await say(hub, alice, {"Type": "Direct", "Names": ["nobody"], "Ref": 1})
    assert alice_tab.of("Error")[-1]["Code"] == "not_found"
    await say(hub, alice, {"Type": "Direct", "Names": ["alice"]})
    assert alice_tab.of("Error")[-1]["Code"] == "bad_field"


async def test_a_block_stops_direct_lines_and_notifications(hub: Hub, peer: Peers) -> None:
    alice_tab, bob_tab = peer("a"), peer("b")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    bob = await hub.connect(bob_tab, room="r", identity=BOB)
    await say(hub, alice, {"Type": "Direct", "Names": ["bob"]})
    room = alice_tab.of("Room")[-1]["Room"]
    await say(hub, alice, {"Type": "Join", "Room": room})
    await say(hub, bob, {"Type": "Block", "Name": "alice", "Ref": "b"})
    assert bob_tab.of("Blocks") == [{"Type": "Blocks", "Names": ["alice"], "Ref": "b"}]
    await say(hub, alice, {"Message": b64("hello?"), "Room": room, "Ref": "x"})
    assert alice_tab.of("Error")[-1]["Code"] == "forbidden"
    await say(hub, alice, {"Type": "Direct", "Names": ["bob"], "Ref": "again"})
    assert alice_tab.of("Error")[-1]["Code"] == "forbidden"
    await say(hub, alice, {"Message": b64("@bob hey"), "Room": "r"})
    assert bob_tab.of("Notify") == []
    assert bob_tab.of("Chat")[-1]["Mentions"] == ["bob"]  # the line itself still reads so
    await say(hub, bob, {"Type": "Unblock", "Name": "alice"})
    assert bob_tab.of("Blocks")[-1]["Names"] == []
    await say(hub, bob, {"Type": "Unblock", "Name": "alice"})
    assert bob_tab.of("Error")[-1]["Code"] == "not_found"
    await say(hub, alice, {"Message": b64("@bob hey again"), "Room": "r"})
    assert len(bob_tab.of("Notify")) == 1


async def test_a_mention_in_a_private_room_reaches_only_its_members(hub: Hub, peer: Peers) -> None:
    alice_tab, bob_tab, carol_tab = peer("a"), peer("b"), peer("c")
    alice = await hub.connect(alice_tab, room="lobby", identity=ALICE)
    await hub.connect(bob_tab, room="lobby", identity=BOB)
    await hub.connect(carol_tab, room="lobby", identity=CAROL)
    await say(hub, alice, {"Type": "Create", "Room": "secret", "Private": True})
    await say(hub, alice, {"Type": "Role", "Room": "secret", "Name": "bob", "Role": "member"})
    await say(hub, alice, {"Type": "Join", "Room": "secret"})
    await say(hub, alice, {"Message": b64("@bob and @carol: plans"), "Room": "secret"})
    assert [n["Room"] for n in bob_tab.of("Notify")] == ["secret"]
    assert carol_tab.of("Notify") == []  # not a member: the line is none of carol's business
    assert (await hub.store.notification_counts())[PENDING] == 1


async def test_an_uninvited_member_no_longer_sees_the_private_rooms_activity(
    hub: Hub, peer: Peers
) -> None:
    """Review: once taken out of a private room, its lines must not show in the person's rooms
    (the room's LastID and Unread kept counting lines bob may no longer read)."""
    alice_tab, bob_tab = peer("a"), peer("b")
    alice = await hub.connect(alice_tab, room="lobby", identity=ALICE)
    bob = await hub.connect(bob_tab, room="lobby", identity=BOB)
    await say(hub, alice, {"Type": "Create", "Room": "secret", "Private": True})
    await say(hub, alice, {"Type": "Role", "Room": "secret", "Name": "bob", "Role": "member"})
    await say(hub, alice, {"Type": "Join", "Room": "secret"})
    await say(hub, bob, {"Type": "Join", "Room": "secret"})
    await say(hub, alice, {"Type": "Role", "Room": "secret", "Name": "bob", "Role": "none"})
    await say(hub, alice, {"Message": b64("plans bob must not see"), "Room": "secret"})
    later = peer("later")
    await hub.connect(later, room="lobby", identity=BOB)
    (rooms,) = later.of("Rooms")
    assert [r["Room"] for r in rooms["Rooms"]] == ["lobby"]


async def test_a_blocked_account_cannot_react_in_the_blockers_direct_conversation(
    hub: Hub, peer: Peers
) -> None:
    """Review: a reaction is a change to the conversation's log like a line; a blocked account
    "cannot ... write in a direct conversation with the blocker (forbidden)"."""
    alice_tab, bob_tab = peer("a"), peer("b")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    bob = await hub.connect(bob_tab, room="r", identity=BOB)
    await say(hub, alice, {"Type": "Direct", "Names": ["bob"]})
    room = alice_tab.of("Room")[-1]["Room"]
    await say(hub, alice, {"Type": "Join", "Room": room})
    await say(hub, bob, {"Type": "Join", "Room": room})
    await say(hub, alice, {"Message": b64("hi bob"), "Room": room})
    await say(hub, alice, {"Type": "Block", "Name": "bob"})
    await say(hub, bob, {"Type": "React", "Room": room, "Target": 1, "Emoji": "👎", "Ref": "r"})
    assert bob_tab.of("Error")[-1] == {
        "Type": "Error",
        "Code": "forbidden",
        "Message": bob_tab.of("Error")[-1]["Message"],
        "Ref": "r",
    }
    assert alice_tab.of("Reaction") == []


async def test_a_direct_line_brings_the_conversation_back_to_who_left_it(
    hub: Hub, peer: Peers
) -> None:
    alice_tab, bob_tab = peer("a"), peer("b")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    bob = await hub.connect(bob_tab, room="r", identity=BOB)
    await say(hub, alice, {"Type": "Direct", "Names": ["bob"]})
    room = alice_tab.of("Room")[-1]["Room"]
    for member in (alice, bob):
        await say(hub, member, {"Type": "Join", "Room": room})
    await say(hub, bob, {"Type": "Leave", "Room": room})
    assert room not in [r.room for r in await hub.store.person_rooms("a:id-bob")]
    await say(hub, alice, {"Message": b64("still there?"), "Room": room})
    assert room in [r.room for r in await hub.store.person_rooms("a:id-bob")]


async def test_dm_names_are_kept_for_direct_conversations(hub: Hub, peer: Peers) -> None:
    alice_tab = peer("a")
    alice = await hub.connect(alice_tab, room="r", identity=ALICE)
    await say(hub, alice, {"Type": "Join", "Room": "dm.0123456789abcdef", "Ref": "j"})
    assert alice_tab.of("Error")[-1]["Code"] == "forbidden"
    await say(hub, alice, {"Type": "Create", "Room": "dm.squat", "Ref": "c"})
    assert alice_tab.of("Error")[-1]["Code"] == "forbidden"
