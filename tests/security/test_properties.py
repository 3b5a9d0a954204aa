"""Property-based tests: arbitrary frames and frame sequences thrown at a live server.

Hypothesis builds sequences of client frames (well-formed commands with wild field values, JSON
that is not a command, text that is not JSON) and sends them over a real WebSocket, as a guest or
as a signed-in account that is not a member of the private room. Meanwhile the private room and
a public room get traffic. After every sequence:

- the server has not crashed (``/healthz`` answers) and the connection still answers a ping;
- every ``Error`` carries a known ``Code``, every frame a ``Type``;
- nothing about the private room reached the fuzzing client, and it got ``Chat`` only for rooms
  it was in; a bystander in another room got nothing but its own room's frames.

Bounded: 150 sequences of at most ten frames, about ten seconds.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import call, connect, joined, register, unique
from conftest import ServerProcess
from helpers import Client, b64
from roomcast.wire.protocol import ErrorCode

API_KEY = "property-test-key-0123456789"
PRIVATE = "vault"
CODES = {code.value for code in ErrorCode}

ROOMS = st.sampled_from(["pa", PRIVATE, "watch", "other", "", "x" * 65, "bad room", "Vault"])
TYPES = st.sampled_from(
    [None, "Chat", "Nick", "Join", "Leave", "History", "Ping", "Create", "Topic", "Role",
     "Delete", "Kick", "Ban", "Unban", "Mute", "Unmute"]
) | st.text(max_size=8)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = {
    "Type": TYPES,
    "Room": ROOMS | JSON,
    "Message": st.sampled_from([b64("hi"), b64(" "), "%%%", ""]) | JSON,
    "Author": st.text(max_size=12) | JSON,
    "Name": st.sampled_from(["owner", "guest-1", "alice", "а" * 3]) | st.text(max_size=12),
    "Since": st.integers(-2, 10) | JSON,
    "Before": st.integers(-2, 10),
    "Limit": st.integers(-1, 300),
    "Ref": st.integers(-1, 2**54) | st.text(max_size=70),
    "ID": st.integers(-1, 6),
    "Duration": st.integers(-1, 10**10),
    "Private": st.booleans() | JSON,
    "Topic": st.text(max_size=12),
    "Role": st.sampled_from(["moderator", "member", "none", "king"]),
    "Reason": st.text(max_size=12),
}
FRAME = st.fixed_dictionaries({}, optional=FIELDS)  # type: ignore[arg-type]
RAW = FRAME.map(json.dumps) | st.text(max_size=30) | JSON.map(json.dumps)
SEQUENCES = st.lists(RAW, min_size=1, max_size=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path_factory.mktemp("properties"),
        # No backlog on joining: frames a client never reads would fill the client library's
        # queue and stall its closing handshake.
        ["--userlist-interval", "0.01", "--history-on-join", "0"],
        {"ROOMCAST_API_KEY": API_KEY},
    )
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture(scope="module")
def people(live: ServerProcess) -> dict[str, Any]:
    """The private room's owner and a signed-in outsider (with an API token)."""

    async def setup() -> dict[str, Any]:
        owner = await register(live.http_url, unique("owner"))
        outsider = await register(live.http_url, unique("outsider"))
        created = await call(
            "POST",
            f"{live.http_url}/api/rooms",
            body={"room": PRIVATE, "private": True},
            cookie=owner.cookie,
        )
        assert created.status == 201, created.body
        token = await call("POST", f"{live.http_url}/api/tokens", body={}, cookie=outsider.cookie)
        return {"owner": owner, "token": token.json()["token"]}

    return asyncio.run(setup())


def post(live: ServerProcess, room: str, text: str) -> None:
    request = urllib.request.Request(
        f"{live.http_url}/api/rooms/{room}/messages",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def healthy(live: ServerProcess) -> bool:
    with urllib.request.urlopen(f"{live.http_url}/healthz", timeout=5) as response:
        return response.status == 200


async def drain(client: Client) -> None:
    """A Ping round trip: everything the server queued before it has arrived."""
    await client.send({"Type": "Ping", "Ref": "barrier"})
    await client.expect("Pong", lambda f: f.get("Ref") == "barrier", timeout=10)


def check_frames(frames: list[dict[str, Any]], first_room: str) -> None:
    """Known codes, and Chat only for rooms this client was in at the time."""
    inside = {first_room}
    for frame in frames:
        frame = frame.get("was", frame)
        kind = frame.get("Type")
        assert isinstance(kind, str), frame
        if kind == "Error":
            assert frame.get("Code") in CODES, frame
        named = [frame.get("Room"), *(m.get("Room") for m in frame.get("Messages", []))]
        assert PRIVATE not in named, f"private room leaked: {frame}"
        if kind == "Joined":
            inside.add(frame["Room"])
        elif kind in ("Left", "Kicked"):
            inside.discard(frame["Room"])
        elif kind == "Chat":
            assert frame["Room"] in inside, f"Chat of a room it is not in: {frame}"


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=SEQUENCES, as_account=st.booleans())
def test_arbitrary_frames_never_crash_leak_or_go_unexplained(
    live: ServerProcess, people: dict[str, Any], sequence: list[str], as_account: bool
) -> None:
    async def run() -> None:
        owner = people["owner"]
        token = people["token"] if as_account else None
        async with (
            await connect(live.ws_url, person=owner, room=PRIVATE) as keeper,
            await connect(live.ws_url, room="watch") as bystander,
            await connect(live.ws_url, room="pa", token=token) as fuzzer,
        ):
            await joined(keeper, PRIVATE)
            await joined(bystander, "watch")
            await joined(fuzzer, "pa")
            for raw in sequence:
                await fuzzer.send(raw)
            await asyncio.to_thread(post, live, PRIVATE, "secret")
            await asyncio.to_thread(post, live, "other", "public news")
            await keeper.say("whisper", Room=PRIVATE)
            await keeper.expect("Chat", lambda f: f["Author"] != "system")
            await drain(fuzzer)  # the connection is alive and has had everything
            await drain(bystander)
            check_frames(fuzzer.frames, "pa")
            for frame in bystander.frames:
                frame = frame.get("was", frame)
                assert frame.get("Room") in (None, "watch"), frame

    asyncio.run(run())
    assert healthy(live)
