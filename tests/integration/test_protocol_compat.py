"""The Caché tutorial's wire format, exactly as its page and its server class use it.

The tutorial's page opens ``<app>/Chat.Server.cls?room=ROOM``, waits for a ``Status`` frame with
its ``WSID``, sends each line as ``{"Message": btoa(line), "Author": nickname}`` (no ``Type``),
and renders ``Chat`` and ``userlist`` frames. These tests replay those frames byte for byte.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

from conftest import ServerProcess
from helpers import b64, unb64

from .support import ChatClient, Names, latin1_b64

SENT_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
CHAT_KEYS = {"Type", "Message", "Author", "Room", "WSID", "Sent", "ID", "Time"}


def csp_url(server: ServerProcess, app: str = "user") -> str:
    return f"ws://127.0.0.1:{server.port}/csp/{app}/Chat.Server.cls"


async def test_first_frame_is_status_with_wsid_and_base64_message(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room) as client:
        first = client.frames[0]["was"]  # the very first frame, claimed by open()
        assert first["Type"] == "Status"
        assert isinstance(first["WSID"], str)
        assert first["WSID"]
        text = base64.b64decode(first["Message"], validate=True).decode("utf-8")
        assert text.strip()
        assert first["Room"] == room


async def test_tutorial_page_session_replayed_frame_by_frame(
    live: ServerProcess, names: Names
) -> None:
    """Two tutorial pages on the tutorial's own URL: exactly the frames its JavaScript sends."""
    room = names.room()
    ann, ben = names.nick("ann"), names.nick("ben")
    async with (
        await ChatClient.open(csp_url(live), room=room) as page1,
        await ChatClient.open(csp_url(live), room=room) as page2,
    ):
        # The page's send(): {"Message": btoa(line), "Author": nickname}, in that key order.
        await page1.send(f'{{"Message":"{latin1_b64("hello from the page")}","Author":"{ann}"}}')
        for page in (page1, page2):
            chat = await page.expect("Chat")
            assert set(chat) == CHAT_KEYS
            assert chat["Type"] == "Chat"
            assert unb64(chat["Message"]) == "hello from the page"
            assert chat["Author"] == ann
            assert chat["Room"] == room
            assert chat["WSID"] == page1.status["WSID"]
            assert SENT_FORMAT.fullmatch(chat["Sent"]), chat["Sent"]
            assert isinstance(chat["ID"], int)
        # "/nick ben" is handled by the page itself: only the next line's Author changes.
        await page2.send(json.dumps({"Message": latin1_b64("hi ann"), "Author": ben}))
        chat = await page1.expect("Chat", lambda f: f["Author"] == ben)
        assert unb64(chat["Message"]) == "hi ann"
        assert chat["WSID"] == page2.status["WSID"]
        # The page rebuilds its user list from every userlist frame: [{"Name": ...}, ...].
        users = await page1.expect(
            "userlist", lambda f: {u["Name"] for u in f["Users"]} >= {ann, ben}
        )
        assert users["Room"] == room
        assert all(set(user) == {"Name"} for user in users["Users"])
        assert sorted(u["Name"] for u in users["Users"]) == sorted([ann, ben])


async def test_chat_frame_fields_and_timestamps(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        before = datetime.now(UTC).replace(microsecond=0)
        await client.say("timestamps")
        chat = await client.expect("Chat")
        after = datetime.now(UTC)
        assert set(chat) == CHAT_KEYS
        sent = datetime.strptime(chat["Sent"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        time = datetime.fromisoformat(chat["Time"].replace("Z", "+00:00"))
        offset = time.utcoffset()
        assert offset is not None
        assert offset.total_seconds() == 0
        assert before <= sent <= after
        assert before <= time <= after
        assert sent == time.replace(microsecond=0)
        assert chat["Author"] == client.nick


async def test_userlist_frame_shape(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with await ChatClient.open(live.ws_url, room=room, nick=names.nick()) as client:
        frame = await client.expect("userlist")
        assert frame == {"Type": "userlist", "Room": room, "Users": [{"Name": client.nick}]}


async def test_tutorial_path_under_any_csp_application(live: ServerProcess, names: Names) -> None:
    room = names.room()
    async with (
        await ChatClient.open(csp_url(live, "user"), room=room) as one,
        await ChatClient.open(csp_url(live, "myapp"), room=room) as two,
    ):
        assert one.status["Room"] == two.status["Room"] == room
        await one.say("over the csp path")
        chat = await two.expect("Chat")
        assert unb64(chat["Message"]) == "over the csp path"
        assert chat["Room"] == room


async def test_missing_or_empty_room_means_default(live: ServerProcess, names: Names) -> None:
    async with (
        await ChatClient.open(live.ws_url) as no_room,
        await ChatClient.open(live.ws_url, room="") as empty_room,
        await ChatClient.open(csp_url(live)) as tutorial_no_room,
    ):
        for client in (no_room, empty_room, tutorial_no_room):
            assert client.status["Room"] == "default"
        marker = f"default room {names.nick()}"
        await no_room.say(marker)
        for client in (no_room, empty_room, tutorial_no_room):
            chat = await client.expect("Chat", lambda f: unb64(f["Message"]) == marker)
            assert chat["Room"] == "default"


async def test_btoa_latin1_line_is_relayed_as_utf8(live: ServerProcess, names: Names) -> None:
    """btoa("café") is base64 of Latin-1 bytes; everyone gets "café" as UTF-8 base64."""
    room = names.room()
    async with (
        await ChatClient.open(csp_url(live), room=room) as page,
        await ChatClient.open(live.ws_url, room=room) as other,
    ):
        assert latin1_b64("café") == "Y2Fm6Q=="
        await page.send(json.dumps({"Message": "Y2Fm6Q==", "Author": names.nick()}))
        for client in (page, other):
            chat = await client.expect("Chat")
            assert chat["Message"] == b64("café") == "Y2Fmw6k="
            assert unb64(chat["Message"]) == "café"
        # Real UTF-8 is kept as it is, including characters btoa could never send.
        await page.say("naïve 日本語 🎉")
        chat = await other.expect("Chat")
        assert unb64(chat["Message"]) == "naïve 日本語 🎉"
        # And the stored history says the same.
        history = await other.request({"Type": "History", "Limit": 2}, "History")
        texts = [unb64(m["Message"]) for m in history["Messages"]]
        assert texts == ["café", "naïve 日本語 🎉"]


async def test_ping_gets_pong_with_ref(live: ServerProcess, names: Names) -> None:
    async with await ChatClient.open(live.ws_url, room=names.room()) as client:
        await client.send({"Type": "Ping", "Ref": 7})
        pong = await client.expect("Pong")
        assert pong["Ref"] == 7
        assert isinstance(pong["Time"], int)
        await client.send({"Type": "Ping"})
        pong = await client.expect("Pong")
        assert "Ref" not in pong


async def test_sender_receives_its_own_line_and_wsids_differ(
    live: ServerProcess, names: Names
) -> None:
    room = names.room()
    async with (
        await ChatClient.open(live.ws_url, room=room) as one,
        await ChatClient.open(live.ws_url, room=room) as two,
    ):
        assert one.status["WSID"] != two.status["WSID"]
        await two.say("echo")
        mine = await two.expect("Chat")
        assert mine["WSID"] == two.status["WSID"]
        assert unb64(mine["Message"]) == "echo"
