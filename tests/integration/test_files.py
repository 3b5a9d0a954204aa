"""Files end to end on a live server: upload, attach, every Chat frame of the line carrying the
attachments (live, join backlog, History, REST), the tutorial's keys unchanged, deletion, and
who may upload (members; not the muted or the banned)."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets

from accounts import register, unique
from conftest import ServerProcess
from files_testing import fetch, guest, image_bytes, upload
from helpers import Client, b64, unb64

from .support import http

TUTORIAL_KEYS = {"Type", "Message", "Author", "Room", "WSID", "Sent", "ID", "Time"}


async def test_a_line_carries_its_files_in_every_frame(live: ServerProcess) -> None:
    room = unique("files")
    alice, session = await guest(live.ws_url, room)
    png = image_bytes("JPEG", (1200, 800), exif=b"Exif\x00\x00secret-gps")
    picture = (
        await upload(live.http_url, room, png, name="photo.jpg", kind="image/jpeg", session=session)
    ).json()
    notes = (
        await upload(
            live.http_url, room, b"line one\n", name="notes.txt", kind="text/plain", session=session
        )
    ).json()
    assert (picture["width"], picture["height"], picture["type"]) == (1200, 800, "image/jpeg")
    assert picture["thumb"] == f"/api/thumbs/{picture['id']}"
    assert picture["url"] == f"/api/files/{picture['id']}/photo.jpg"
    await alice.send(
        {"Message": b64(""), "Room": room, "Ref": "l1", "Attachments": [picture["id"], notes["id"]]}
    )
    ack = await alice.expect("Ack", lambda f: f.get("Ref") == "l1")
    live_frame = await alice.expect("Chat", lambda f: f["ID"] == ack["ID"])
    expected: list[dict[str, Any]] = [
        {"ID": picture["id"], "Name": "photo.jpg", "Size": len(png), "Type": "image/jpeg",
         "URL": picture["url"], "Width": 1200, "Height": 800, "Thumb": picture["thumb"]},
        {"ID": notes["id"], "Name": "notes.txt", "Size": 9, "Type": "text/plain",
         "URL": notes["url"]},
    ]  # fmt: skip
    assert live_frame["Attachments"] == expected
    assert set(live_frame) >= TUTORIAL_KEYS
    assert unb64(live_frame["Message"]) == ""

    bob, _ = await guest(live.ws_url, room)
    backlog = await bob.expect("Chat", lambda f: f["ID"] == ack["ID"])
    assert backlog["Attachments"] == expected
    await bob.send({"Type": "History", "Room": room, "Ref": "h"})
    page = await bob.expect("History", lambda f: f.get("Ref") == "h")
    assert page["Messages"][-1]["Attachments"] == expected
    rest = (await http("GET", f"{live.http_url}/api/rooms/{room}/messages")).json()
    assert [a["id"] for a in rest["messages"][0]["attachments"]] == [picture["id"], notes["id"]]

    thumb = await fetch(live.http_url, picture["thumb"])
    assert thumb.status == 200
    assert b"secret-gps" not in thumb.body
    assert (await fetch(live.http_url, notes["url"])).body == b"line one\n"

    await alice.send({"Type": "Delete", "Room": room, "Target": ack["ID"], "Ref": "d"})
    await alice.expect("Ack", lambda f: f.get("Ref") == "d")
    for url in (picture["url"], picture["thumb"], notes["url"]):
        assert (await fetch(live.http_url, url)).status == 404, url
    await bob.send({"Type": "History", "Room": room, "Ref": "h2"})
    after = await bob.expect("History", lambda f: f.get("Ref") == "h2")
    assert all("Attachments" not in m for m in after["Messages"])
    for client in (alice, bob):
        await client.ws.close()


async def test_a_plain_line_is_unchanged_and_a_blank_one_still_refused(live: ServerProcess) -> None:
    room = unique("plain")
    client, _ = await guest(live.ws_url, room)
    await client.say("just text", Room=room, Ref="p")
    frame = await client.expect("Chat", lambda f: f["Room"] == room)
    assert set(frame) == TUTORIAL_KEYS
    await client.send({"Message": b64(" "), "Room": room, "Ref": "e"})
    assert (await client.expect("Error", lambda f: f.get("Ref") == "e"))["Code"] == "empty_message"
    await client.send({"Message": b64("x"), "Room": room, "Ref": "z", "Attachments": []})
    assert (await client.expect("Error", lambda f: f.get("Ref") == "z"))["Code"] == "bad_field"
    await client.ws.close()


async def test_the_muted_and_the_banned_may_not_upload(live: ServerProcess) -> None:
    owner = await register(live.http_url, unique("boss"))
    room = unique("ruled")
    ws = await websockets.connect(live.ws_url, additional_headers=owner.headers(), max_size=None)
    boss = Client(ws)
    await boss.send({"Type": "Create", "Room": room, "Ref": "c"})
    await boss.expect("Room", lambda f: f["Room"] == room)
    guest_client, session = await guest(live.ws_url, room)
    nick = guest_client.frames[0].get("was", guest_client.frames[0])["Nick"]
    assert (await upload(live.http_url, room, b"ok", session=session)).status == 201
    await boss.send({"Type": "Mute", "Room": room, "Name": nick, "Ref": "m"})
    await boss.expect("Moderated", lambda f: f.get("Ref") == "m")
    for _ in range(50):  # a guest's mute is recorded by its address, a moment after Moderated
        muted = await upload(live.http_url, room, b"no", session=session)
        if muted.status != 201:
            break
        await asyncio.sleep(0.05)
    assert (muted.status, muted.json()["error"]["code"]) == (403, "muted")
    await boss.send({"Type": "Ban", "Room": room, "Name": nick, "Ref": "b"})
    await guest_client.expect("Kicked", lambda f: f["Room"] == room)  # the ban is in force
    banned = await upload(live.http_url, room, b"no", session=session)
    assert (banned.status, banned.json()["error"]["code"]) == (403, "banned")
    signed_in = await upload(live.http_url, room, b"mine", cookie=owner.cookie)
    assert signed_in.status == 201
    for client in (boss, guest_client):
        await client.ws.close()
