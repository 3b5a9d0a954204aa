"""Requests waiting for their answer, matched by ``Ref``."""

from __future__ import annotations

import asyncio

import pytest

from roomcast.client.events import ChatError
from roomcast.client.requests import PendingRequests


async def test_each_request_gets_its_own_ref() -> None:
    pending, other = PendingRequests(), PendingRequests()
    frames = [{"Type": "Ping"} for _ in range(3)]
    for frame in frames:
        pending.add(frame)
    refs = [frame["Ref"] for frame in frames]
    assert len(set(refs)) == 3
    assert len({ref.rsplit("-", 1)[0] for ref in refs}) == 1  # one prefix per client
    stranger = {"Type": "Ping"}
    other.add(stranger)
    assert stranger["Ref"] not in refs  # another client's refs do not collide


async def test_an_answer_resolves_its_request_only() -> None:
    pending = PendingRequests()
    first, second = {"Type": "Ping"}, {"Type": "Nick", "Name": "x"}
    waiting_first, waiting_second = pending.add(first), pending.add(second)
    answer = {"Type": "Nick", "Name": "x", "Old": "y", "Ref": second["Ref"]}
    pending.answer(answer)
    assert await waiting_second == answer
    assert not waiting_first.done()
    assert pending.frames() == [first]


@pytest.mark.parametrize("ref", [None, "someone-else-1", 7])
async def test_an_answer_to_no_request_changes_nothing(ref: object) -> None:
    pending = PendingRequests()
    frame = {"Type": "Ping"}
    waiting = pending.add(frame)
    pending.answer({"Type": "Pong", "Ref": ref})
    assert not pending.refuse({"Type": "Error", "Code": "x", "Ref": ref})
    assert not waiting.done()
    assert pending.frames() == [frame]


async def test_an_error_fails_its_request_with_the_code() -> None:
    pending = PendingRequests()
    frame = {"Message": "eA=="}
    waiting = pending.add(frame)
    refusal = {"Type": "Error", "Code": "too_long", "Message": "shorter", "Ref": frame["Ref"]}
    assert pending.refuse(refusal)
    with pytest.raises(ChatError) as raised:
        await waiting
    assert (raised.value.code, raised.value.message) == ("too_long", "shorter")
    assert pending.frames() == []


async def test_an_error_without_a_code() -> None:
    pending = PendingRequests()
    frame = {"Type": "Ping"}
    waiting = pending.add(frame)
    assert pending.refuse({"Type": "Error", "Ref": frame["Ref"]})
    with pytest.raises(ChatError) as raised:
        await waiting
    assert (raised.value.code, raised.value.message) == ("error", "")


async def test_unanswered_frames_stay_in_order_for_a_resend() -> None:
    pending = PendingRequests()
    frames = [{"Message": str(i)} for i in range(5)]
    for frame in frames:
        pending.add(frame)
    pending.answer({"Type": "Ack", "Ref": frames[2]["Ref"]})
    assert pending.frames() == [frames[0], frames[1], frames[3], frames[4]]


async def test_fail_all_fails_every_waiting_call() -> None:
    pending = PendingRequests()
    waiting = [pending.add({"Type": "Ping"}) for _ in range(3)]
    waiting[0].cancel()  # a caller that gave up
    pending.fail_all(ConnectionError("gone"))
    for future in waiting[1:]:
        with pytest.raises(ConnectionError):
            await future
    assert waiting[0].cancelled()
    assert pending.frames() == []


async def test_a_late_answer_to_a_cancelled_call_is_dropped() -> None:
    pending = PendingRequests()
    frame = {"Type": "Ping"}
    waiting = pending.add(frame)
    waiting.cancel()
    pending.answer({"Type": "Pong", "Ref": frame["Ref"]})
    assert pending.refuse({"Type": "Error", "Ref": frame["Ref"]}) is False
    with pytest.raises(asyncio.CancelledError):
        await waiting
