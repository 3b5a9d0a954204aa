"""Bad input never crashes the server nor disturbs others, and always gets a clear answer.

Mistakes inside a well-formed text frame get an ``Error`` frame with a stable ``Code`` and the
connection stays open; broken WebSocket framing closes the connection with the RFC 6455 code
(1009 too big, 1003 binary, 1002 protocol error, 1007 invalid UTF-8) and a reason.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
import websockets

from conftest import ServerProcess
from helpers import b64, chat_line, unb64

from .support import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_TEXT,
    ChatClient,
    Names,
    RawWebSocket,
    query_url,
)


def nested(depth: int) -> str:
    """A chat line whose extra field nests ``depth`` arrays deep."""
    return f'{{"Message":"{b64("deep")}","Extra":{"[" * depth}1{"]" * depth}}}'


BAD_FRAMES: list[tuple[str, str]] = [
    ("not json {", "bad_json"),
    ("", "bad_json"),
    ('{"Message": "aGk=",}', "bad_json"),
    ("{'Message': 'aGk='}", "bad_json"),
    ("[1, 2]", "not_object"),
    ("42", "not_object"),
    ('"a string"', "not_object"),
    ("null", "not_object"),
    ("true", "not_object"),
    ('{"Message": 5}', "bad_field"),
    ('{"Message": ["aGk="]}', "bad_field"),
    ('{"Message": {"text": "hi"}}', "bad_field"),
    ('{"Message": "aGk=", "Author": 7}', "bad_field"),
    ('{"Message": "aGk=", "Author": ["x"]}', "bad_field"),
    ('{"Message": "aGk=", "Room": 7}', "bad_field"),
    ('{"Type": 5, "Message": "aGk="}', "bad_field"),
    ('{"Type": "Nick", "Name": 5}', "bad_field"),
    ('{"Type": "Join", "Room": ["x"]}', "bad_field"),
    ('{"Type": "Join", "Room": "r", "Since": "3"}', "bad_field"),
    ('{"Type": "Join", "Room": "r", "Since": -1}', "bad_field"),
    ('{"Type": "History", "Limit": true}', "bad_field"),
    ('{"Author": "someone"}', "missing_field"),
    ("{}", "missing_field"),
    ('{"Type": "Chat"}', "missing_field"),
    ('{"Type": "Nick"}', "missing_field"),
    ('{"Type": "Join"}', "missing_field"),
    ('{"Type": "Leave"}', "missing_field"),
    ('{"Message": "!!! not base64 !!!"}', "bad_base64"),
    ('{"Message": "aGk"}', "bad_base64"),
    ('{"Message": "aG k="}', "bad_base64"),
    (chat_line("bell \x07"), "bad_text"),
    (chat_line("nul \x00 byte"), "bad_text"),
    (chat_line("\x1b[31mred"), "bad_text"),
    (chat_line("del \x7f"), "bad_text"),
    (chat_line("c1 \x85 next line"), "bad_text"),
    (json.dumps({"Message": "gZs="}), "bad_text"),  # not UTF-8, read as Latin-1: C1 controls
    (chat_line(""), "empty_message"),
    (chat_line("  \n\t "), "empty_message"),
    (chat_line("x" * 4001), "too_long"),
    (chat_line("é" * 4001), "too_long"),
    ('{"Type": "Dance"}', "unknown_type"),
    ('{"Type": "chat", "Message": "aGk="}', "unknown_type"),
    ('{"Type": "userlist", "Users": []}', "unknown_type"),
    ('{"Type": ""}', "unknown_type"),
    (nested(20), "too_deep"),
    (nested(2000), "too_deep"),
]


@pytest.mark.parametrize(
    ("frame", "code"), BAD_FRAMES, ids=[f"{code}:{frame[:30]!r}" for frame, code in BAD_FRAMES]
)
async def test_bad_frame_gets_error_code_and_connection_stays_open(
    live: ServerProcess, names: Names, frame: str, code: str
) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        await client.send(frame)
        error = await client.expect("Error")
        assert error["Code"] == code
        assert isinstance(error["Message"], str)
        assert error["Message"]
        await client.say("still here")
        chat = await client.expect("Chat")
        assert unb64(chat["Message"]) == "still here"
        assert client.unclaimed("Error") == []


async def test_bad_input_does_not_disturb_others(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as vandal,
        await ChatClient.open(live.ws_url, room=room) as bystander,
    ):
        for frame, _ in BAD_FRAMES:
            await vandal.send(frame)
        # One Error per bad frame (their codes are checked one by one above).
        errors = [await vandal.expect("Error") for _ in BAD_FRAMES]
        assert all(e["Code"] for e in errors)
        await bystander.say("business as usual")
        for client in (vandal, bystander):
            chat = await client.expect("Chat")
            assert unb64(chat["Message"]) == "business as usual"
            assert chat["ID"] == 1  # nothing bad was stored
        await bystander.barrier()
        assert bystander.unclaimed("Error") == []
        assert bystander.unclaimed("Chat") == []


async def test_error_echoes_the_ref_of_the_bad_frame(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        cases: list[tuple[dict[str, Any], str | int]] = [
            ({"Type": "Dance", "Ref": "q1"}, "q1"),
            ({"Message": "!!", "Ref": 9}, 9),
            ({"Message": b64("x" * 4001), "Ref": "long"}, "long"),
            ({"Type": "Nick", "Name": "system", "Ref": "n"}, "n"),
            ({"Type": "Join", "Room": "bad room", "Ref": "j"}, "j"),
        ]
        for frame, ref in cases:
            await client.send(frame)
            error = await client.expect("Error")
            assert error["Ref"] == ref, frame


async def test_text_limit_is_4000_characters(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        for text in ("x" * 4000, "é" * 4000, "日" * 4000):
            await client.say(text)
            chat = await client.expect("Chat")
            assert unb64(chat["Message"]) == text
        await client.say("x" * 4001)
        assert (await client.expect("Error"))["Code"] == "too_long"


async def test_tabs_and_newlines_are_kept_and_cr_is_normalised(
    live: ServerProcess, names: Names
) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        await client.say("col1\tcol2\nline2\r\nline3\rline4")
        chat = await client.expect("Chat")
        assert unb64(chat["Message"]) == "col1\tcol2\nline2\nline3\nline4"


async def test_max_text_chars_is_configurable(server_factory: Any, names: Names) -> None:
    server = server_factory("--max-text-chars", "10")
    async with await ChatClient.open(server.ws_url, room=names.room()) as client:
        await client.say("x" * 10)
        await client.expect("Chat")
        await client.say("x" * 11)
        assert (await client.expect("Error"))["Code"] == "too_long"


async def test_bad_since_in_url_still_starts_with_status(live: ServerProcess, names: Names) -> None:
    """The first frame is always Status; the complaint about ``since`` comes after it."""
    url = query_url(live.ws_url, room=names.room(), since="abc")
    async with ChatClient(await websockets.connect(url)) as client:
        first = await client._next(10)
        assert first["Type"] == "Status", first
        assert (await client.expect("Error"))["Code"] == "bad_field"
        await client.say("connected anyway")
        await client.expect("Chat")


async def test_bad_nick_in_url_gets_guest_name_and_error(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room(), nick="system") as client:
        assert client.nick.startswith("guest-")
        assert (await client.expect("Error"))["Code"] == "nick_reserved"


# ---------------------------------------------------------------------------------------------
# Broken framing: the connection is closed with the proper code
# ---------------------------------------------------------------------------------------------


async def assert_bystander_unaffected(bystander: ChatClient) -> None:
    await bystander.say("after the storm")
    chat = await bystander.expect("Chat", lambda f: unb64(f["Message"]) == "after the storm")
    assert chat["Room"] == bystander.status["Room"]


async def test_frame_of_exactly_64_kib_is_read(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        frame = '{"Message":"' + "A" * (65536 - 14) + '"}'
        assert len(frame) == 65536
        await client.send(frame)
        assert (await client.expect("Error"))["Code"] == "too_long"
        await client.say("open")
        await client.expect("Chat")


async def oversized_close(port: int, room: str, how: str) -> tuple[int | None, str]:
    """Send a text message of 64 KiB + 14 bytes; return the close code and reason received."""
    payload = '{"Message":"' + "A" * 65536 + '"}'
    if how == "library":
        client = await ChatClient.open(f"ws://127.0.0.1:{port}/ws", room=room)
        await client.send(payload)
        return await client.close_code()
    raw = await RawWebSocket.connect(port, room=room)
    try:
        await raw.read_json()  # Status
        data = payload.encode()
        if how == "fragmented":
            raw.send_frame(OP_TEXT, data[:40000], fin=False)
            raw.send_frame(0x0, data[40000:])
        else:
            raw.send_frame(OP_TEXT, data)
        try:
            return await raw.close_code()
        except (ConnectionResetError, EOFError) as exc:
            return None, f"no close frame: {exc!r}"
    finally:
        raw.abort()


@pytest.mark.parametrize("how", ["library", "raw", "fragmented"])
async def test_frame_over_64_kib_closes_with_1009(
    live: ServerProcess, names: Names, how: str
) -> None:
    """Five times in a row, so that a close frame lost to a TCP reset cannot pass by luck."""
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as bystander:
        outcomes = [await oversized_close(live.port, room, how) for _ in range(5)]
        assert [code for code, _ in outcomes] == [1009] * 5, outcomes
        assert all(reason for _, reason in outcomes)
        await assert_bystander_unaffected(bystander)


async def test_binary_frame_closes_with_1003(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as bystander:
        client = await ChatClient.open(live.ws_url, room=room)
        await client.ws.send(chat_line("as bytes").encode())
        code, reason = await client.close_code()
        assert code == 1003
        assert reason
        await assert_bystander_unaffected(bystander)
        assert bystander.unclaimed("Chat") == []  # the binary line was not delivered


PROTOCOL_VIOLATIONS = {
    "unmasked client frame": lambda ws: ws.send_frame(OP_TEXT, b'{"Type":"Ping"}', mask=False),
    "reserved opcode 0x3": lambda ws: ws.send_frame(0x3, b"?"),
    "reserved control opcode 0xB": lambda ws: ws.send_frame(0xB, b""),
    "RSV1 without an extension": lambda ws: ws.send_frame(OP_TEXT, b'{"Type":"Ping"}', rsv=4),
    "continuation without a start": lambda ws: ws.send_frame(0x0, b"orphan"),
    "fragmented ping": lambda ws: ws.send_frame(OP_PING, b"x", fin=False),
    "ping payload over 125 bytes": lambda ws: ws.send_frame(OP_PING, b"p" * 126),
    "close with a 1-byte payload": lambda ws: ws.send_frame(OP_CLOSE, b"\x03"),
    "close with code 999": lambda ws: ws.send_frame(OP_CLOSE, struct.pack("!H", 999)),
}


@pytest.mark.parametrize("violation", list(PROTOCOL_VIOLATIONS))
async def test_protocol_violation_closes_with_1002(
    live: ServerProcess, names: Names, violation: str
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as bystander:
        raw = await RawWebSocket.connect(live.port, room=room)
        assert (await raw.read_json())["Type"] == "Status"
        PROTOCOL_VIOLATIONS[violation](raw)
        code, reason = await raw.close_code(timeout=5)
        assert code == 1002, (code, reason)
        assert reason
        raw.abort()
        await assert_bystander_unaffected(bystander)


@pytest.mark.parametrize(
    "payload",
    [b'{"Message":"\xff\xfe"}', b'{"Message":"aGk=","Author":"\xc3\x28"}', b"\xed\xa0\x80"],
)
async def test_invalid_utf8_text_closes_with_1007(
    live: ServerProcess, names: Names, payload: bytes
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as bystander:
        raw = await RawWebSocket.connect(live.port, room=room)
        await raw.read_json()
        raw.send_frame(OP_TEXT, payload)
        code, reason = await raw.close_code()
        assert code == 1007
        assert reason
        raw.abort()
        await assert_bystander_unaffected(bystander)


async def test_raw_binary_frame_closes_with_1003(live: ServerProcess, names: Names) -> None:
    raw = await RawWebSocket.connect(live.port, room=names.room())
    await raw.read_json()
    raw.send_frame(OP_BINARY, b"\x00\x01")
    code, _ = await raw.close_code()
    assert code == 1003
    raw.abort()


async def test_many_abrupt_disconnects_leave_the_server_healthy(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as bystander:
        for i in range(30):
            raw = await RawWebSocket.connect(live.port, room=room)
            if i % 3 == 0:
                raw.send_frame(OP_TEXT, b'{"Message":')  # cut mid-frame
                raw.writer.write(b"\x81\xfe")
            elif i % 3 == 1:
                raw.send_text(chat_line(f"last words {i}"))
            raw.abort()
        await assert_bystander_unaffected(bystander)
