"""A WebSocket connection in process, byte for byte: recorded client bytes go in through the
real ``FrontDoor`` and ``WebSocketConnection`` on a fake transport, and the tests read the bytes
the server wrote back (the 101 answer, chat frames, pongs, close frames and their codes)."""

from __future__ import annotations

import asyncio
import base64
import json
import struct

import pytest

from fake_socket import (
    SAMPLE_ACCEPT,
    Server,
    Wire,
    client_frame,
    read_frames,
    text,
    upgrade_request,
)
from roomcast.ops.config import Settings
from roomcast.transport.connection import WebSocketConnection

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0

# RFC 6455 section 5.7: "Hello" in one masked text frame.
RFC_MASKED_HELLO = bytes.fromhex("818537fa213d7f9f4d5158")
# A masked ping carrying "Hello", as a client sends it.
MASKED_PING_HELLO = bytes.fromhex("898537fa213d7f9f4d5158")


def chat(text_: str, ref: str | None = None, room: str | None = None) -> bytes:
    frame: dict[str, str] = {"Message": base64.b64encode(text_.encode()).decode()}
    if ref is not None:
        frame["Ref"] = ref
    if room is not None:
        frame["Room"] = room
    return text(frame)


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


def assert_closed_with(frames: list[tuple[int, bytes]], code: int) -> str:
    """The last frame is a close frame with ``code``; return its reason."""
    assert frames, "nothing was written"
    opcode, payload = frames[-1]
    assert opcode == OP_CLOSE, frames
    assert struct.unpack("!H", payload[:2])[0] == code, payload
    return payload[2:].decode()


async def test_upgrade_answers_101_then_status_first(server: Server) -> None:
    wire = server.socket()
    wire.send(upgrade_request("room=lobby&nick=alice"))
    data = await wire.new_bytes()
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + SAMPLE_ACCEPT.encode(),
    ]
    frames = [json.loads(payload) for opcode, payload in read_frames(rest) if opcode == OP_TEXT]
    assert [f["Type"] for f in frames][:2] == ["Status", "Joined"]
    status = frames[0]
    assert (status["Nick"], status["Room"]) == ("alice", "lobby")
    assert status["Session"]
    assert status["WSID"]
    assert {"Type": "userlist", "Room": "lobby", "Users": [{"Name": "alice"}]} in frames


async def test_a_head_in_pieces_and_a_frame_in_the_same_packet(server: Server) -> None:
    wire = server.socket()
    request = upgrade_request("room=lobby&nick=bit")
    *pieces, last = [request[i : i + 7] for i in range(0, len(request), 7)]
    for piece in pieces:  # the head, a few bytes at a time
        wire.send(piece)
        assert not wire.transport.written
    wire.send(last + chat("first words", ref="r1"))
    data = await wire.new_bytes()
    assert data.startswith(b"HTTP/1.1 101 ")
    frames = read_frames(data.partition(b"\r\n\r\n")[2])
    kinds = [json.loads(p).get("Type") for op, p in frames if op == OP_TEXT]
    assert kinds[0] == "Status"
    assert "Ack" in kinds
    acked = next(json.loads(p) for _, p in frames if b'"Ack"' in p)
    assert (acked["Ref"], acked["ID"]) == ("r1", 1)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"Sec-WebSocket-Version": "8"}, 426, "unsupported_version"),
        ({"Sec-WebSocket-Key": "short"}, 400, "bad_websocket_key"),
        ({"Upgrade": "h2c"}, 426, "upgrade_required"),
    ],
)
async def test_a_bad_upgrade_is_refused_over_http(
    server: Server, change: dict[str, str], status: int, code: str
) -> None:
    request = upgrade_request("room=lobby").decode()
    for name, value in change.items():
        request = "\r\n".join(
            f"{name}: {value}" if line.startswith(f"{name}:") else line
            for line in request.split("\r\n")
        )
    wire = server.socket()
    wire.send(request.encode())
    head, _, body = (await wire.new_bytes()).partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert json.loads(body)["error"]["code"] == code
    assert wire.transport.closed
    assert not server.service.connections


async def test_a_chat_line_reaches_the_room_and_is_acked_to_its_sender(server: Server) -> None:
    alice = await server.connected("room=lobby&nick=alice")
    bob = await server.connected("room=lobby&nick=bob")
    await alice.json_frames()  # bob's arrival
    alice.send(chat("hi bob", ref="a1"))
    to_alice, to_bob = await alice.json_frames(), await bob.json_frames()
    line = next(f for f in to_bob if f["Type"] == "Chat")
    assert (base64.b64decode(line["Message"]), line["Author"], line["ID"]) == (
        b"hi bob",
        "alice",
        1,
    )
    assert line in to_alice
    assert {"Type": "Ack", "Ref": "a1", "ID": 1, "Room": "lobby"} in to_alice
    assert not any(f["Type"] == "Ack" for f in to_bob)


async def test_the_rfc_masked_frame_is_one_text_message(server: Server) -> None:
    wire = await server.connected("room=lobby")
    wire.send(RFC_MASKED_HELLO)  # "Hello" is not JSON: the answer is an error, not a close
    (error,) = await wire.json_frames()
    assert (error["Type"], error["Code"]) == ("Error", "bad_json")
    wire.send(chat("still here"))
    assert any(f["Type"] == "Chat" for f in await wire.json_frames())


async def test_fragments_are_joined_and_a_ping_between_them_is_answered(server: Server) -> None:
    wire = await server.connected("room=lobby&nick=frag")
    body = json.dumps({"Message": base64.b64encode(b"in three parts").decode(), "Ref": "f"})
    thirds = [body[:5].encode(), body[5:20].encode(), body[20:].encode()]
    wire.send(client_frame(OP_TEXT, thirds[0], fin=False))
    wire.send(client_frame(OP_CONTINUATION, thirds[1], fin=False))
    wire.send(MASKED_PING_HELLO)
    assert await wire.frames() == [(OP_PONG, b"Hello")]
    wire.send(client_frame(OP_CONTINUATION, thirds[2]))
    frames = await wire.json_frames()
    line = next(f for f in frames if f["Type"] == "Chat")
    assert base64.b64decode(line["Message"]) == b"in three parts"
    assert {"Type": "Ack", "Ref": "f", "ID": 1, "Room": "lobby"} in frames


async def test_the_rfc_fragmented_hello_is_one_message(server: Server) -> None:
    wire = await server.connected("room=lobby")
    wire.send(client_frame(OP_TEXT, b"Hel", fin=False) + client_frame(OP_CONTINUATION, b"lo"))
    (error,) = await wire.json_frames()
    assert error["Code"] == "bad_json"  # one message "Hello", not two


async def test_many_frames_in_one_read_pause_reading_until_handled(server: Server) -> None:
    wire = await server.connected("room=lobby")
    pings = b"".join(client_frame(OP_PING, str(i).encode()) for i in range(450))
    wire.send(pings)
    assert not wire.transport.reading  # 200 handled, the rest wait for the next turn
    frames = await wire.frames()
    assert frames == [(OP_PONG, str(i).encode()) for i in range(450)]
    assert wire.transport.reading


async def test_only_a_chatting_client_keeps_a_frame_parser(server: Server) -> None:
    """An idle client (pongs and pings only) holds no parser between reads; one that chats keeps
    its own rather than have one made per read; the heartbeat drops it once the client is
    silent."""
    wire = await server.connected("room=lobby&nick=quiet")
    connection = wire.transport.get_protocol()
    assert isinstance(connection, WebSocketConnection)
    assert connection._parser is None
    wire.send(MASKED_PING_HELLO)
    assert await wire.frames() == [(OP_PONG, b"Hello")]
    assert connection._parser is None
    body = json.dumps({"Message": base64.b64encode(b"hi").decode()}).encode()
    wire.send(client_frame(OP_TEXT, body[:3], fin=False))  # a message begun is kept
    await wire.settle()
    assert connection._parser is not None
    wire.send(client_frame(OP_CONTINUATION, body[3:]))
    assert any(f["Type"] == "Chat" for f in await wire.json_frames())
    assert connection._parser is not None
    connection.release_parser()
    assert connection._parser is None


async def test_a_client_close_is_echoed_and_the_member_leaves(server: Server) -> None:
    alice = await server.connected("room=lobby&nick=alice")
    bob = await server.connected("room=lobby&nick=bob")
    await alice.json_frames()
    bob.send(client_frame(OP_CLOSE, close_payload(1000, "bye")))
    assert await bob.frames() == [(OP_CLOSE, close_payload(1000))]
    assert bob.transport.closed
    connection = bob.transport.get_protocol()
    connection.connection_lost(None)
    users = [f for f in await alice.json_frames() if f["Type"] == "userlist"]
    assert users[-1]["Users"] == [{"Name": "alice"}]
    assert len(server.service.connections) == 1


async def test_an_empty_close_is_answered_with_1000(server: Server) -> None:
    wire = await server.connected("room=lobby")
    wire.send(client_frame(OP_CLOSE, b""))
    assert await wire.frames() == [(OP_CLOSE, close_payload(1000))]


async def test_a_close_code_is_echoed(server: Server) -> None:
    wire = await server.connected("room=lobby")
    wire.send(client_frame(OP_CLOSE, close_payload(4000)))
    assert await wire.frames() == [(OP_CLOSE, close_payload(4000))]


async def closes_with(wire: Wire, data: bytes, code: int) -> str:
    """Send ``data``; assert the server closes with ``code`` and stops reading what follows."""
    wire.send(data)
    reason = assert_closed_with(await wire.frames(), code)
    assert wire.transport.eof_written
    wire.send(chat("after the close"))
    assert await wire.new_bytes() == b""
    return reason


async def test_binary_frames_close_with_1003(server: Server) -> None:
    wire = await server.connected("room=lobby")
    reason = await closes_with(wire, client_frame(OP_BINARY, b"\x00\x01"), 1003)
    assert reason == "binary frames are not accepted"


async def test_invalid_utf8_closes_with_1007(server: Server) -> None:
    wire = await server.connected("room=lobby")
    await closes_with(wire, client_frame(OP_TEXT, b'{"Message":"\xc3\x28"}'), 1007)


async def test_an_invalid_utf8_close_reason_closes_with_1007(server: Server) -> None:
    wire = await server.connected("room=lobby")
    await closes_with(wire, client_frame(OP_CLOSE, close_payload(1000) + b"\xff"), 1007)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(client_frame(OP_TEXT, b"{}", mask=None), id="unmasked"),
        pytest.param(bytes((0xC1,)) + client_frame(OP_TEXT, b"{}")[1:], id="reserved-bit"),
        pytest.param(client_frame(OP_PING, b"x", fin=False), id="fragmented-control"),
        pytest.param(client_frame(OP_PING, b"x" * 126), id="long-control"),
        pytest.param(client_frame(OP_CONTINUATION, b"{}"), id="continuation-first"),
        pytest.param(
            client_frame(OP_TEXT, b"{", fin=False) + client_frame(OP_TEXT, b"}"),
            id="text-inside-fragments",
        ),
        pytest.param(client_frame(0x3, b""), id="unknown-opcode"),
        pytest.param(client_frame(OP_CLOSE, close_payload(1005)), id="reserved-close-code"),
        pytest.param(client_frame(OP_CLOSE, b"\x03"), id="one-byte-close"),
    ],
)
async def test_protocol_violations_close_with_1002(server: Server, data: bytes) -> None:
    wire = await server.connected("room=lobby")
    await closes_with(wire, data, 1002)


@pytest.mark.parametrize("settings", [Settings(max_frame_bytes=1024, userlist_interval=0.0)])
async def test_an_oversized_message_closes_with_1009(server: Server) -> None:
    wire = await server.connected("room=lobby")
    wire.send(client_frame(OP_TEXT, b"x" * 1024, fin=False))  # at the limit: still fine
    assert await wire.new_bytes() == b""
    await closes_with(wire, client_frame(OP_CONTINUATION, b"x"), 1009)


@pytest.mark.parametrize("settings", [Settings(max_frame_bytes=1024, userlist_interval=0.0)])
async def test_a_huge_length_closes_before_the_payload_arrives(server: Server) -> None:
    wire = await server.connected("room=lobby")
    header = bytes((0x81, 0x80 | 127)) + struct.pack("!Q", 1 << 40) + b"\x00\x00\x00\x00"
    await closes_with(wire, header, 1009)


async def test_a_slow_consumer_is_dropped_with_1013(server: Server) -> None:
    reader = await server.connected("room=lobby&nick=slow")
    writer = await server.connected("room=lobby&nick=fast")
    await reader.new_bytes()
    reader.transport.buffer_size = server.service.settings.write_buffer_high_water + 1
    writer.send(chat("more than you can take"))
    frames = await reader.frames()
    assert [op for op, _ in frames] == [OP_TEXT, OP_CLOSE]  # the line, then the close
    assert assert_closed_with(frames, 1013) == "slow consumer: output full"
    assert reader.transport.closed
    assert server.hub.metrics.slow_consumers_dropped == 1
    writer.send(chat("and more"))
    assert await reader.new_bytes() == b""


async def test_a_refused_room_gets_an_error_then_1008(server: Server) -> None:
    wire = server.socket()
    wire.send(upgrade_request("room=not%20a%20room"))
    frames = read_frames((await wire.new_bytes()).partition(b"\r\n\r\n")[2])
    error = json.loads(frames[0][1])
    assert (error["Type"], error["Code"]) == ("Error", "room_invalid")
    assert_closed_with(frames, 1008)


@pytest.mark.parametrize("since", ["soon", "%C2%B2", "-1", "1" * 19])  # %C2%B2: a superscript 2
async def test_url_mistakes_come_after_the_status(server: Server, since: str) -> None:
    wire = server.socket()
    wire.send(upgrade_request(f"room=lobby&since={since}"))
    frames = read_frames((await wire.new_bytes()).partition(b"\r\n\r\n")[2])
    kinds = [json.loads(p)["Type"] for _, p in frames]
    assert kinds[0] == "Status"
    error = next(json.loads(p) for _, p in frames if b'"Error"' in p)
    assert error["Code"] == "bad_field"
    assert "since" in error["Message"]


@pytest.mark.parametrize("settings", [Settings(ping_interval=0.6, userlist_interval=0.0)])
async def test_a_silent_peer_is_pinged_then_dropped(server: Server) -> None:
    """Pinged after one silent interval, dropped half an interval after an unanswered ping."""
    server.service.start()
    answering = await server.connected("room=lobby&nick=alive")
    silent = await server.connected("room=lobby&nick=gone")
    await answering.new_bytes()
    await asyncio.sleep(0.75)
    assert await silent.frames() == [(OP_PING, b"")]
    assert await answering.frames() == [(OP_PING, b"")]
    answering.send(client_frame(OP_PONG, b""))
    await asyncio.sleep(0.45)
    assert silent.transport.aborted
    assert not answering.transport.aborted
