"""The hub with in-memory store, broker and presence, and peers that record payloads: no network."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from roomcast.chat import sequencer
from roomcast.chat.hub import Hub
from roomcast.store.base import NewMessage
from roomcast.wire import protocol
from roomcast.wire.protocol import ChatMessage, SendChat

Peers = Callable[[str], Any]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.02)


def chat_payload(room: str, message_id: int, text: str) -> bytes:
    return protocol.encode_chat(ChatMessage(room, message_id, "x", text, "w", 0))


async def test_status_comes_first_then_joined(hub: Hub, peer: Peers) -> None:
    peer = peer("p1")
    await hub.connect(peer, room="lobby", nick="alice")
    assert [f["Type"] for f in peer.frames[:2]] == ["Status", "Joined"]
    assert peer.frames[0]["Nick"] == "alice"


async def test_messages_from_other_nodes_are_put_in_id_order(hub: Hub, peer: Peers) -> None:
    peer = peer("p1")
    await hub.connect(peer, room="r")
    hub.deliver("r", 2, chat_payload("r", 2, "two"))
    hub.deliver("r", 1, chat_payload("r", 1, "one"))
    hub.deliver("r", 3, chat_payload("r", 3, "three"))
    hub.deliver("r", 2, chat_payload("r", 2, "two again"))
    assert [c["ID"] for c in peer.of("Chat")] == [1, 2, 3]


async def test_a_gap_the_broker_never_fills_is_read_from_the_store(
    hub: Hub, peer: Peers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "GAP_WAIT", 0.01)
    peer = peer("p1")
    await hub.connect(peer, room="r")
    # Another node stored message 1, but its broker publication was lost.
    lost = await hub.store.append(NewMessage("r", "bob", "lost", "w2", 0))
    assert lost.message.id == 1
    hub.deliver("r", 2, chat_payload("r", 2, "after the gap"))
    assert peer.of("Chat") == []
    await settle()
    chats = peer.of("Chat")
    assert [c["ID"] for c in chats] == [1, 2]
    assert chats[0]["Author"] == "bob"


async def test_join_holds_live_messages_until_the_backlog_is_sent(hub: Hub, peer: Peers) -> None:
    for i in range(3):
        await hub.post("r", f"old {i}")
    peer = peer("p1")
    join = asyncio.create_task(hub.connect(peer, room="r", since=1))
    await asyncio.sleep(0)
    await hub.post("r", "live")
    await join
    await settle()
    assert [c["ID"] for c in peer.of("Chat")] == [2, 3, 4]


async def test_resume_with_a_since_beyond_the_room_does_not_swallow_new_messages(
    hub: Hub,
    peer: Peers,
) -> None:
    peer = peer("p1")
    await hub.connect(peer, room="fresh", since=500)
    await hub.post("fresh", "first")
    await settle()
    assert [c["ID"] for c in peer.of("Chat")] == [1]


async def test_author_rename_and_userlist(hub: Hub, peer: Peers) -> None:
    alice, bob = peer("a"), peer("b")
    member = await hub.connect(alice, room="r", nick="alice")
    await hub.connect(bob, room="r", nick="bob")
    await hub.handle(member, SendChat("hi", author="bob"))
    await settle()
    error = alice.of("Error")[0]
    assert error["Code"] == "nick_taken"
    assert alice.of("Chat")[0]["Author"] == "alice"
    await hub.handle(member, SendChat("hi again", author="carol"))
    await settle()
    assert alice.of("Chat")[1]["Author"] == "carol"
    names = [u["Name"] for u in bob.of("userlist")[-1]["Users"]]
    assert names == ["bob", "carol"]


async def test_session_resume_replaces_the_old_connection_and_keeps_the_nick(
    hub: Hub, peer: Peers
) -> None:
    old = peer("old")
    await hub.connect(old, room="r", nick="dora")
    session = old.frames[0]["Session"]
    new = peer("new")
    await hub.connect(new, room="r", session=session)
    assert old.closed == (protocol.CLOSE_SESSION_REPLACED, "session resumed elsewhere")
    assert new.frames[0]["Nick"] == "dora"


async def test_diff_members_get_one_full_list_then_only_changes(hub: Hub, peer: Peers) -> None:
    watcher = peer("w")
    await hub.connect(watcher, room="r", nick="watcher", userlist_diffs=True)
    await settle()
    assert [u["Name"] for u in watcher.of("userlist")[0]["Users"]] == ["watcher"]
    other = peer("o")
    member = await hub.connect(other, room="r", nick="olga")
    await settle()
    await hub.handle(member, protocol.SetNick("olivia"))
    await settle()
    await hub.disconnect(member)
    await settle()
    assert len(watcher.of("userlist")) == 1
    changes = [(p["Joined"], p["Left"]) for p in watcher.of("Presence")]
    assert changes == [(["olga"], []), (["olivia"], ["olga"]), ([], ["olivia"])]


async def test_a_join_storm_costs_linear_user_list_traffic(hub: Hub, peer: Peers) -> None:
    peers = [peer(f"p{i}") for i in range(300)]
    for peer in peers:
        await hub.connect(peer, room="storm")
    await asyncio.sleep(0.2)
    frames = sum(len(peer.of("userlist")) for peer in peers)
    assert frames <= 3 * len(peers)
    # ... and every member ends on the true state.
    for peer in peers:
        assert len(peer.of("userlist")[-1]["Users"]) == 300


async def test_a_guest_resuming_its_session_gets_its_guest_name_back_without_error(
    hub: Hub,
    peer: Peers,
) -> None:
    first = peer("first")
    member = await hub.connect(first, room="r")
    guest, session = first.frames[0]["Nick"], first.frames[0]["Session"]
    await hub.disconnect(member)
    again = peer("again")
    await hub.connect(again, room="r", session=session)
    assert again.frames[0]["Nick"] == guest
    assert again.of("Error") == []


async def test_the_injected_clock_times_pongs_and_messages(
    hub: Hub, peer: Peers, clock: Any
) -> None:
    alice = peer("a")
    member = await hub.connect(alice, room="r", nick="alice")
    await hub.handle(member, protocol.Ping(ref=1))
    assert alice.of("Pong")[0]["Time"] == clock.now_ms()
    await hub.handle(member, SendChat("hi"))
    await settle()
    [stored] = await hub.store.page("r", None, 10)
    assert stored.sent_ms == clock.now_ms()


async def test_control_events_reach_moderation_through_the_broker(hub: Hub, peer: Peers) -> None:
    alice, bob = peer("a"), peer("b")
    await hub.connect(alice, room="r", nick="alice")
    await hub.connect(bob, room="elsewhere", nick="bob")
    rooms_before = len(alice.of("Room"))
    hub.broker.publish_control("r", b'{"op": "refresh"}')
    await settle()
    assert len(alice.of("Room")) == rooms_before + 1
    assert len(bob.of("Room")) == 1


async def test_typing_events_reach_the_room_through_the_broker(hub: Hub, peer: Peers) -> None:
    alice, bob = peer("a"), peer("b")
    await hub.connect(alice, room="r", nick="alice")
    await hub.connect(bob, room="elsewhere", nick="bob")
    hub.broker.publish_control("r", b'{"op":"typing","name":"carol","stop":false}')
    await settle()
    assert alice.of("Typing") == [{"Type": "Typing", "Room": "r", "Names": ["carol"]}]
    assert bob.of("Typing") == []


async def test_a_broadcast_checks_its_text_even_with_no_room(hub: Hub) -> None:
    """Found by fuzzing once rooms could be deleted from the admin page: with no room at all,
    a text over the limit was answered 201 with nothing posted."""
    assert await hub.broadcast("fine") == []
    with pytest.raises(protocol.ProtocolError) as refused:
        await hub.broadcast("x" * (hub.settings.max_text_chars + 1))
    assert refused.value.code == protocol.ErrorCode.TOO_LONG
