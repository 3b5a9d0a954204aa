"""Server frames as bytes: the tutorial's keys, extensions, and keys only when set."""

from __future__ import annotations

import base64
import json

from roomcast.wire.encode import (
    ChatMessage,
    encode_ack,
    encode_chat,
    encode_error,
    encode_history,
    encode_joined,
    encode_kicked,
    encode_status,
    encode_userlist,
    iso_time,
)
from roomcast.wire.errors import ErrorCode, ProtocolError


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class TestFrames:
    message = ChatMessage("lobby", 7, "alice", "héllo", "abc", 1_700_000_000_123)

    def test_chat_frame_has_the_tutorial_keys_and_extensions(self) -> None:
        frame = json.loads(encode_chat(self.message))
        assert frame == {
            "Type": "Chat",
            "Message": b64("héllo".encode()),
            "Author": "alice",
            "Room": "lobby",
            "WSID": "abc",
            "Sent": "2023-11-14 22:13:20",
            "ID": 7,
            "Time": "2023-11-14T22:13:20.123Z",
        }

    def test_userlist_frame(self) -> None:
        frame = json.loads(encode_userlist("r", ["a", "b"]))
        assert frame == {"Type": "userlist", "Room": "r", "Users": [{"Name": "a"}, {"Name": "b"}]}

    def test_status_frame(self) -> None:
        frame = json.loads(encode_status("w1", "hi", nick="n", room="r", session="s", version="1"))
        assert frame["Type"] == "Status"
        assert frame["WSID"] == "w1"
        assert base64.b64decode(frame["Message"]) == b"hi"


def test_keys_are_written_in_order_and_unset_ones_are_left_out() -> None:
    assert encode_status("w", "", nick="n", room="r", session="s", version="1") == (
        b'{"Type":"Status","WSID":"w","Message":"","Nick":"n","Room":"r","Session":"s","Version":"1"}'
    )
    admin = encode_status(
        "w", "", nick="n", room="r", session="s", version="1", user="u", admin=True
    )
    assert admin.endswith(b'"Version":"1","User":"u","Admin":true}')
    assert encode_joined("r", 5, None) == b'{"Type":"Joined","Room":"r","LastID":5,"Backlog":0}'
    assert encode_joined("r", 5, 7, backlog=2, truncated=True) == (
        b'{"Type":"Joined","Room":"r","LastID":5,"Backlog":2,"Truncated":true,"Ref":7}'
    )
    assert encode_ack(3, "r", "x") == b'{"Type":"Ack","Ref":"x","ID":3,"Room":"r"}'
    error = ProtocolError(ErrorCode.RATE_LIMITED, "slow", 1, retry_after=0.123)
    assert encode_error(error) == (
        b'{"Type":"Error","Code":"rate_limited","Message":"slow","RetryAfter":0.13,"Ref":1}'
    )


def test_retry_after_is_rounded_up_so_waiting_it_is_never_early() -> None:
    def shown(wait: float) -> float:
        frame = encode_error(ProtocolError(ErrorCode.RATE_LIMITED, "slow", 1, retry_after=wait))
        return float(json.loads(frame)["RetryAfter"])

    assert [shown(w) for w in (0.191, 0.2, 0.2000001, 0.5, 1.0, 0.0)] == [
        0.2, 0.2, 0.21, 0.5, 1.0, 0.0,
    ]  # fmt: skip


def test_times_are_iso_with_milliseconds() -> None:
    assert iso_time(1_700_000_000_005) == "2023-11-14T22:13:20.005Z"
    frame = json.loads(encode_kicked("r", by="b", reason="", banned=False, until_ms=0))
    assert frame["Until"] == "1970-01-01T00:00:00.000Z"
    assert "Until" not in json.loads(
        encode_kicked("r", by="b", reason="", banned=True, until_ms=None)
    )


def test_history_holds_chat_frames_and_the_rest_api_form_is_the_same_object() -> None:
    message = ChatMessage("lobby", 7, "alice", "hi", "abc", 1_700_000_000_123)
    history = json.loads(encode_history("lobby", [message], False, None))
    assert history["Messages"] == [json.loads(encode_chat(message))]
