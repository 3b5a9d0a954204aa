"""Edits, deletions, reactions, versions, replies and threads through the hub, on the memory
store and broker: who may do what, the events every member gets, and the sender's Ack."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from roomcast.auth import Identity
from roomcast.chat.hub import Hub
from roomcast.chat.state import Member

from .conftest import FakeClock, RecordingPeer, b64, send_frame

Peers = Callable[[str], RecordingPeer]


async def say(hub: Hub, member: Member, frame: dict[str, Any]) -> None:
    await send_frame(hub, member, frame)
    await asyncio.sleep(0)


async def two_people(hub: Hub, peer: Peers) -> tuple[Member, RecordingPeer, Member, RecordingPeer]:
    alice_peer, bob_peer = peer("a"), peer("b")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    bob = await hub.connect(bob_peer, room="r", nick="bob")
    return alice, alice_peer, bob, bob_peer


async def test_an_edit_reaches_everyone_and_only_the_author_may(hub: Hub, peer: Peers) -> None:
    alice, alice_peer, bob, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("helo"), "Room": "r", "Ref": 1})
    await say(
        hub, alice, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("hello"), "Ref": 2}
    )
    (edited,) = bob_peer.of("Edited")
    assert edited == {
        "Type": "Edited",
        "Room": "r",
        "ID": 2,
        "Target": 1,
        "Message": b64("hello"),
        "Author": "alice",
        "Time": edited["Time"],
    }
    assert alice_peer.of("Ack")[-1] == {"Type": "Ack", "Ref": 2, "ID": 2, "Room": "r"}
    await say(hub, bob, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("x"), "Ref": 3})
    assert bob_peer.of("Error")[-1]["Code"] == "forbidden"
    assert bob_peer.of("Error")[-1]["Ref"] == 3
    await say(hub, alice, {"Type": "Edit", "Room": "r", "Target": 9, "Message": b64("x")})
    assert alice_peer.of("Error")[-1]["Code"] == "not_found"


async def test_the_same_text_again_is_acked_unchanged_and_not_broadcast(
    hub: Hub, peer: Peers
) -> None:
    alice, alice_peer, _, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("same"), "Room": "r"})
    await say(
        hub, alice, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("same"), "Ref": "e"}
    )
    assert alice_peer.of("Ack")[-1] == {
        "Type": "Ack",
        "Ref": "e",
        "ID": 1,
        "Room": "r",
        "Unchanged": True,
    }
    assert bob_peer.of("Edited") == []


async def test_a_resent_ref_gets_the_original_ack_and_no_second_event(
    hub: Hub, peer: Peers
) -> None:
    alice, alice_peer, _, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("x"), "Room": "r"})
    react = {"Type": "React", "Room": "r", "Target": 1, "Emoji": "👍", "Ref": "r1"}
    await say(hub, alice, react)
    await say(hub, alice, {**react, "Remove": True})  # the same Ref: the first answer again
    assert [a["ID"] for a in alice_peer.of("Ack")] == [2, 2]
    assert [r["Removed"] for r in bob_peer.of("Reaction")] == [False]


async def test_reactions_toggle_and_never_repeat(hub: Hub, peer: Peers) -> None:
    alice, _, bob, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("x"), "Room": "r"})
    react = {"Type": "React", "Room": "r", "Target": 1, "Emoji": ":tada:"}
    await say(hub, alice, react)
    await say(hub, alice, react)  # already there: no event
    await say(hub, alice, {**react, "Remove": True})
    await say(hub, alice, {**react, "Remove": True})  # not there: no event
    assert [(r["ID"], r["Name"], r["Removed"]) for r in bob_peer.of("Reaction")] == [
        (2, "alice", False),
        (3, "alice", True),
    ]
    await say(hub, bob, {**react, "Emoji": "not an emoji"})
    assert bob_peer.of("Error")[-1]["Code"] == "bad_field"


async def test_authors_and_moderators_delete_and_a_moderator_is_audited(
    hub: Hub, peer: Peers
) -> None:
    alice, alice_peer, bob, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("mine"), "Room": "r"})
    await say(hub, bob, {"Type": "Delete", "Room": "r", "Target": 1})
    assert bob_peer.of("Error")[-1]["Code"] == "forbidden"
    await say(hub, alice, {"Type": "Delete", "Room": "r", "Target": 1, "Ref": "d"})
    assert bob_peer.of("Deleted") == [
        {"Type": "Deleted", "Room": "r", "ID": 2, "Target": 1, "By": "alice"}
    ]
    assert await hub.store.audit_log("r", 10) == []  # one's own line: no moderation
    moderator_peer = peer("m")
    admin = Identity("acct-mo", "mo", admin=True)
    moderator = await hub.connect(moderator_peer, room="r", nick="mo", identity=admin)
    await say(hub, bob, {"Message": b64("spam"), "Room": "r"})
    await say(hub, moderator, {"Type": "Delete", "Room": "r", "ID": 3})
    assert alice_peer.of("Deleted")[-1]["By"] == "mo"
    (entry,) = await hub.store.audit_log("r", 10)
    assert (entry.actor, entry.action, entry.target) == ("mo", "delete", "message 3")
    await say(hub, moderator, {"Type": "Edit", "Room": "r", "Target": 3, "Message": b64("x")})
    assert moderator_peer.of("Error")[-1]["Code"] == "not_found"


async def test_a_mute_stops_edits_reactions_and_typing(
    hub: Hub, peer: Peers, clock: FakeClock
) -> None:
    alice, alice_peer, _, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("before"), "Room": "r"})
    hub.registry.set_mute("r", alice.wsid, clock.now_ms() + 60_000)
    await say(hub, alice, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("x")})
    await say(hub, alice, {"Type": "React", "Room": "r", "Target": 1, "Emoji": "👍"})
    assert [e["Code"] for e in alice_peer.of("Error")] == ["muted", "muted"]
    await say(hub, alice, {"Type": "Typing", "Room": "r"})
    await asyncio.sleep(0.05)
    assert bob_peer.of("Typing") == []
    assert bob_peer.of("Edited") == bob_peer.of("Reaction") == []


async def test_replies_and_threads_name_live_messages_of_the_room(hub: Hub, peer: Peers) -> None:
    alice, alice_peer, _, bob_peer = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("root"), "Room": "r"})
    await say(hub, alice, {"Message": b64("in thread"), "Room": "r", "Thread": 1, "ReplyTo": 1})
    assert bob_peer.of("Chat")[-1]["Thread"] == 1
    assert bob_peer.of("Chat")[-1]["ReplyTo"] == 1
    for bad, code in (({"ReplyTo": 9}, "not_found"), ({"Thread": 2}, "bad_field")):
        await say(hub, alice, {"Message": b64("x"), "Room": "r", "Ref": "bad", **bad})
        assert (alice_peer.of("Error")[-1]["Code"], alice_peer.of("Error")[-1]["Ref"]) == (
            code,
            "bad",
        )
    assert len(bob_peer.of("Chat")) == 2  # nothing stored for either
    await say(hub, alice, {"Type": "History", "Room": "r", "Thread": 1, "Ref": "t"})
    (page,) = alice_peer.of("History")
    assert [m["ID"] for m in page["Messages"]] == [1, 2]
    assert (page["Thread"], page["Messages"][0]["Replies"]) == (1, 1)
    await say(hub, alice, {"Type": "History", "Room": "r", "Thread": 2})
    assert alice_peer.of("Error")[-1]["Code"] == "bad_field"


async def test_versions_list_the_original_first(hub: Hub, peer: Peers) -> None:
    alice, alice_peer, _, _ = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("v1"), "Room": "r"})
    await say(hub, alice, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("v2")})
    await say(hub, alice, {"Type": "Edits", "Room": "r", "Target": 1, "Ref": 5})
    (edits,) = alice_peer.of("Edits")
    assert [m["Message"] for m in edits["Versions"]] == [b64("v1"), b64("v2")]
    assert edits["Ref"] == 5
    await say(hub, alice, {"Type": "Edits", "Room": "r", "Target": 2})
    assert alice_peer.of("Error")[-1]["Code"] == "not_found"


async def test_a_resume_replays_changes_and_leaves_deleted_lines_out(hub: Hub, peer: Peers) -> None:
    alice, _, _, _ = await two_people(hub, peer)
    for text in ("one", "two"):
        await say(hub, alice, {"Message": b64(text), "Room": "r"})
    await say(hub, alice, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("one!")})
    await say(hub, alice, {"Type": "Delete", "Room": "r", "Target": 2})
    late = peer("late")
    await hub.connect(late, room="r", nick="late", since=0)
    replay = [f for f in late.frames if f["Type"] in ("Chat", "Edited", "Deleted")]
    assert [(f["Type"], f["ID"]) for f in replay] == [("Chat", 1), ("Edited", 3), ("Deleted", 4)]
    assert replay[0]["Message"] == b64("one!")  # the line in its current state
    assert late.of("Joined")[0]["Backlog"] == 3
    fresh = peer("fresh")
    await hub.connect(fresh, room="r", nick="fresh")
    (line,) = fresh.of("Chat")
    assert (line["ID"], line["Edited"]) == (1, line["Edited"])
    assert "Edited" in line


async def test_a_resume_replays_lines_without_their_later_state(hub: Hub, peer: Peers) -> None:
    """Review: a replayed Chat carries ReplyTo/Thread only; its edits come as their own events
    (CONTRACT15: "Live Chat frames and resume replays carry ReplyTo/Thread only")."""
    alice, _, _, _ = await two_people(hub, peer)
    await say(hub, alice, {"Message": b64("one"), "Room": "r"})
    await say(hub, alice, {"Type": "Edit", "Room": "r", "Target": 1, "Message": b64("one!")})
    late = peer("late")
    await hub.connect(late, room="r", nick="late", since=0)
    (line,) = late.of("Chat")
    assert "Edited" not in line
    assert [f["ID"] for f in late.of("Edited")] == [2]
