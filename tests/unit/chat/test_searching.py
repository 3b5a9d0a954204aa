"""Search through the hub on the memory store: Results with the Chat shape History gives and a
highlight, rooms the member may read whether joined or not, and errors with the Ref."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from roomcast.auth import Identity
from roomcast.chat.hub import Hub
from roomcast.chat.searching import reader_of, results_payload, search
from roomcast.store.search import Reader
from roomcast.wire.search_frames import FoundFrame, SearchMessages, found_frame

from .conftest import RecordingPeer, b64, send_frame

Peers = Callable[[str], RecordingPeer]


async def test_results_are_history_shaped_chat_frames_with_a_highlight(
    hub: Hub, peer: Peers
) -> None:
    alice_peer = peer("a")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    await send_frame(hub, alice, {"Message": b64("Le Café 🎉 ouvre"), "Room": "r", "Ref": 1})
    await asyncio.sleep(0)
    await send_frame(hub, alice, {"Type": "History", "Room": "r", "Ref": "h"})
    await send_frame(hub, alice, {"Type": "Search", "Query": "cafe", "Ref": "q"})
    (history,) = alice_peer.of("History")
    (results,) = alice_peer.of("Results")
    assert results["Query"] == "cafe"
    assert results["More"] is False
    assert results["Ref"] == "q"
    (found,) = results["Messages"]
    highlight = found.pop("Highlight")
    assert found == history["Messages"][0]
    assert highlight == [["Le ", False], ["Café", True], [" 🎉 ouvre", False]]


async def test_a_room_not_joined_is_searched_and_a_private_one_only_by_its_members(
    hub: Hub, peer: Peers
) -> None:
    await hub.store.claim_room("secret", "id-owner", "owner", True, "")
    await hub.post("secret", "hidden treasure")
    await hub.post("open", "open treasure")
    guest = await hub.connect(peer("g"), room="elsewhere", nick="guest")
    page = await search(hub.store, guest.identity, SearchMessages("treasure"))
    assert [f.message.room for f in page.found] == ["open"]
    owner = Identity("id-owner", "owner")
    assert reader_of(owner) == Reader("id-owner")
    page = await search(hub.store, owner, SearchMessages("treasure"))
    assert {f.message.room for f in page.found} == {"open", "secret"}
    payload = results_payload(SearchMessages("treasure", ref=5), page)
    assert b'"Type":"Results"' in payload


async def test_a_bad_query_is_an_error_with_the_ref(hub: Hub, peer: Peers) -> None:
    alice_peer = peer("a")
    alice = await hub.connect(alice_peer, room="r", nick="alice")
    await send_frame(hub, alice, {"Type": "Search", "Query": '"open', "Ref": 7})
    (error,) = alice_peer.of("Error")
    assert (error["Code"], error["Ref"]) == ("bad_field", 7)


def test_a_found_frame_carries_every_field_of_the_chat_frame() -> None:
    from roomcast.wire.protocol import ChatMessage

    chat = ChatMessage("r", 3, "alice", "hi", "w", 0, reply_to=1, mentions=("bob",)).frame()
    found = found_frame(chat, [("hi", True)])
    assert isinstance(found, FoundFrame)
    for name in chat.__struct_fields__:
        assert getattr(found, name) == getattr(chat, name)
