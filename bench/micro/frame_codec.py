"""The wire's cost per frame: parse each kind of client frame, encode each kind of server frame.

Both trees can be compared with the same script (the tree is whatever ``roomcast`` imports):

    PYTHONPATH=src taskset -c 0 .venv/bin/python bench/micro/frame_codec.py
    PYTHONPATH=/other/tree/src taskset -c 0 .venv/bin/python bench/micro/frame_codec.py

Each figure is the best of 5 runs of a loop, in nanoseconds per call.
"""

from __future__ import annotations

import base64
import json
import timeit
from collections.abc import Callable

from roomcast.wire import protocol

_TEXT = base64.b64encode(b"hello world this is a test").decode()
CLIENT_FRAMES: dict[str, dict[str, object]] = {
    "tutorial line": {"Message": _TEXT, "Author": "alice"},
    "chat with Room, Ref": {"Message": _TEXT, "Room": "lobby", "Ref": 17},
    "Nick": {"Type": "Nick", "Name": "bob", "Ref": 4},
    "Join": {"Type": "Join", "Room": "random", "Since": 42, "Ref": 3},
    "Leave": {"Type": "Leave", "Room": "random", "Ref": 5},
    "History": {"Type": "History", "Room": "lobby", "Before": 70, "Limit": 50, "Ref": 6},
    "Ping": {"Type": "Ping", "Ref": 7},
    "Create": {"Type": "Create", "Room": "team", "Private": True, "Topic": "Plans"},
    "Ban": {"Type": "Ban", "Room": "lobby", "Name": "mallory", "Duration": 3600},
    "bad base64 (error)": {"Message": "***", "Ref": 1},
    "Since -1 (error)": {"Type": "Join", "Room": "r", "Since": -1},
}
_MESSAGE = protocol.ChatMessage(
    "lobby", 119, "alice", "hello world", "5f0c2d9a41be7e03", 1_700_000_000_123
)
SERVER_FRAMES: dict[str, Callable[[], bytes]] = {
    "Chat": lambda: protocol.encode_chat(_MESSAGE),
    "Status": lambda: protocol.encode_status(
        "5f0c2d9a41be7e03", "hi", nick="alice", room="lobby", session="s" * 24, version="1"
    ),
    "userlist x10": lambda: protocol.encode_userlist("lobby", [f"user{i}" for i in range(10)]),
    "Presence": lambda: protocol.encode_presence("lobby", ["bob"], []),
    "Nick": lambda: protocol.encode_nick("bob", "guest-3fa1", 4),
    "Joined": lambda: protocol.encode_joined("lobby", 118, 3, backlog=50),
    "Left": lambda: protocol.encode_left("random", 5),
    "History x50": lambda: protocol.encode_history("lobby", [_MESSAGE] * 50, True, 6),
    "Ack": lambda: protocol.encode_ack(120, "lobby", "m-17"),
    "Error": lambda: protocol.encode_error(
        protocol.ProtocolError(protocol.ErrorCode.RATE_LIMITED, "slow down", 4, retry_after=1.5)
    ),
    "Pong": lambda: protocol.encode_pong(7, 1795660730548),
    "Room": lambda: protocol.encode_room(
        "team", topic="Plans", private=True, owner="alice", moderators=["bob"], role="member"
    ),
    "Deleted": lambda: protocol.encode_deleted("lobby", 119),
    "Kicked": lambda: protocol.encode_kicked(
        "lobby", by="bob", reason="spam", banned=True, until_ms=1795660730548
    ),
    "Moderated": lambda: protocol.encode_moderated("ban", "lobby", name="mallory", ref=8),
}


def per_call_ns(call: Callable[[], object], number: int = 50_000) -> float:
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e9


def parse_or_error(data: bytes) -> Callable[[], object]:
    def call() -> object:
        try:
            return protocol.parse(data)
        except protocol.ProtocolError as exc:
            return exc

    return call


def main() -> None:
    print(f"{protocol.__file__}\nparse, ns per frame:")
    for name, frame in CLIENT_FRAMES.items():
        print(f"  {name:22} {per_call_ns(parse_or_error(json.dumps(frame).encode())):7.0f}")
    print("encode, ns per frame:")
    for name, encode in SERVER_FRAMES.items():
        print(f"  {name:22} {per_call_ns(encode):7.0f}")


if __name__ == "__main__":
    main()
