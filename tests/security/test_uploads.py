"""Uploads on a live server, tried as an attacker would: other rooms' files, a private room's,
HTML and SVG that must never run, hostile names, empty and oversized bodies, broken images,
decompression bombs, lying Content-Types, and the serving rules (ranges, ETags, headers).
"""

from __future__ import annotations

import sqlite3
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts import Person, register, unique
from conftest import ServerProcess
from files_testing import fetch, guest, image_bytes, upload
from helpers import Client, b64

LIMIT = 300_000


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("uploads"), ["--max-upload-bytes", str(LIMIT)])
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


def stored_uploads(server: ServerProcess) -> int:
    """How many uploads (complete or not) and chunks the server's files database holds."""
    with sqlite3.connect(Path(server.db + "-files")) as conn:
        (uploads,) = conn.execute("SELECT count(*) FROM uploads").fetchone()
        (chunks,) = conn.execute("SELECT count(*) FROM upload_chunks").fetchone()
    return int(uploads) + int(chunks)


def bomb() -> bytes:
    """A tiny PNG whose header claims 30,000 x 30,000 pixels (900 megapixels)."""
    png = image_bytes("PNG", (1, 1))
    ihdr = b"IHDR" + struct.pack(">II", 30_000, 30_000) + png[24:29]
    chunk = struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    return png[:8] + chunk + png[33:]


async def attach(client: Client, room: str, ids: list[str], text: str = "") -> dict[str, object]:
    """Send a line of ``ids``; the Chat frame it came back as, or the Error."""
    ref = unique("r")
    await client.send({"Message": b64(text), "Room": room, "Ref": ref, "Attachments": ids})
    return await client.expect_where(
        lambda f: (
            (f.get("Type") == "Error" and f.get("Ref") == ref)
            or (f.get("Type") == "Chat" and f.get("Attachments") is not None and f["Room"] == room)
        )
    )


async def test_a_file_of_another_room_or_person_cannot_be_attached(live: ServerProcess) -> None:
    here, there = unique("here"), unique("there")
    alice, alice_session = await guest(live.ws_url, here)
    bob, bob_session = await guest(live.ws_url, there)
    mine = (await upload(live.http_url, here, b"alice's", session=alice_session)).json()
    theirs = (await upload(live.http_url, there, b"bob's", session=bob_session)).json()
    refused = await attach(bob, there, [mine["id"]])
    assert refused["Code"] == "attachment_not_found"
    await bob.send({"Type": "Join", "Room": here})
    await bob.expect("Joined", lambda f: f["Room"] == here)
    refused = await attach(bob, here, [mine["id"]])
    assert refused["Code"] == "attachment_not_found", "another person's upload"
    refused = await attach(alice, here, [theirs["id"]])
    assert refused["Code"] == "attachment_not_found", "another room's upload"
    line = await attach(alice, here, [mine["id"]], "mine")
    assert line["Type"] == "Chat"
    refused = await attach(alice, here, [mine["id"]])
    assert refused["Code"] == "attachment_used"
    refused = await attach(alice, here, [f"x{n}" for n in range(11)])
    assert refused["Code"] == "too_many_attachments"
    for client in (alice, bob):
        await client.ws.close()


async def test_a_private_rooms_files_are_only_for_its_members(live: ServerProcess) -> None:
    owner = await register(live.http_url, unique("owner"))
    outsider = await register(live.http_url, unique("out"))
    room = unique("secret")
    client = await _signed_in(live, owner)
    await client.send({"Type": "Create", "Room": room, "Private": True, "Ref": "c"})
    await client.expect("Room", lambda f: f["Room"] == room)
    await client.send({"Type": "Join", "Room": room})
    await client.expect("Joined", lambda f: f["Room"] == room)
    made = await upload(live.http_url, room, b"plans", name="plans.txt", cookie=owner.cookie)
    assert made.status == 201, made.body
    body = made.json()
    line = await attach(client, room, [body["id"]])
    assert line["Type"] == "Chat"
    assert (await fetch(live.http_url, body["url"], owner.headers())).body == b"plans"
    for headers in (outsider.headers(), {}):
        denied = await fetch(live.http_url, body["url"], headers)
        assert denied.status == 404
        assert denied.json()["error"]["code"] == "not_found"
        assert (await fetch(live.http_url, "/api/files/no-such-id/x", headers)).status == 404
    sneaking = await upload(live.http_url, room, b"x", cookie=outsider.cookie)
    assert sneaking.status == 404
    assert sneaking.json()["error"]["code"] == "room_not_found"
    await client.ws.close()


async def _signed_in(live: ServerProcess, person: Person) -> Client:
    import websockets

    ws = await websockets.connect(live.ws_url, additional_headers=person.headers(), max_size=None)
    client = Client(ws)
    await client.expect("Joined")
    return client


@pytest.mark.parametrize(
    ("name", "kind", "data"),
    [
        ("page.html", "text/html", b"<html><script>alert(document.cookie)</script></html>"),
        (
            "pic.svg",
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        ),
        ("fake.png", "image/png", b"<html><script>alert(1)</script></html>"),
    ],
)
async def test_html_and_svg_are_downloads_that_cannot_run(
    live: ServerProcess, name: str, kind: str, data: bytes
) -> None:
    room = unique("html")
    client, session = await guest(live.ws_url, room)
    made = (await upload(live.http_url, room, data, name=name, kind=kind, session=session)).json()
    assert "width" not in made
    assert "thumb" not in made
    served = await fetch(live.http_url, made["url"])
    assert served.status == 200
    assert served.body == data
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "sandbox"
    await client.ws.close()


async def test_an_image_sent_as_html_is_shown_inline_as_what_it_is(live: ServerProcess) -> None:
    room = unique("png")
    client, session = await guest(live.ws_url, room)
    png = image_bytes("PNG", (900, 600))
    made = (
        await upload(live.http_url, room, png, name="x.html", kind="text/html", session=session)
    ).json()
    assert (made["type"], made["width"], made["height"]) == ("image/png", 900, 600)
    served = await fetch(live.http_url, made["url"])
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"] == "inline; filename*=UTF-8''x.html"
    assert served.headers["Content-Security-Policy"] == "sandbox"
    thumb = await fetch(live.http_url, made["thumb"])
    assert thumb.headers["Content-Type"] == "image/webp"
    assert thumb.body.startswith(b"RIFF")
    assert b"EXIF" not in thumb.body
    await client.ws.close()


async def test_hostile_names_are_plain_names(live: ServerProcess) -> None:
    room = unique("names")
    client, session = await guest(live.ws_url, room)
    for raw, cleaned in (
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("a\x00b\x1fc.txt", "abc.txt"),
        ("..", "file"),
        ("", "file"),
        ("x" * 300 + ".txt", "x" * 196 + ".txt"),
    ):
        made = (await upload(live.http_url, room, b"data", name=raw, session=session)).json()
        assert made["name"] == cleaned, raw
        assert "/" not in made["url"].removeprefix("/api/files/").split("/", 1)[1]
    by_query = await upload(
        live.http_url, room, b"q", name="", session=session, query="?name=../q.txt"
    )
    assert by_query.json()["name"] == "q.txt"
    await client.ws.close()


async def test_empty_and_oversized_files_are_refused_and_leave_nothing(
    live: ServerProcess,
) -> None:
    room = unique("sizes")
    client, session = await guest(live.ws_url, room)
    before = stored_uploads(live)
    empty = await upload(live.http_url, room, b"", session=session)
    assert (empty.status, empty.json()["error"]["code"]) == (400, "empty_file")
    over = await upload(live.http_url, room, b"x" * (LIMIT + 1), session=session)
    assert (over.status, over.json()["error"]["code"]) == (413, "too_large")

    async def streamed() -> object:  # no Content-Length: counted as it streams
        for _ in range(LIMIT // 65536 + 2):
            yield b"y" * 65536

    chunked = await upload(live.http_url, room, streamed(), session=session)  # type: ignore[arg-type]
    assert (chunked.status, chunked.json()["error"]["code"]) == (413, "too_large")
    assert stored_uploads(live) == before
    exact = await upload(live.http_url, room, b"z" * LIMIT, session=session)
    assert exact.status == 201
    await client.ws.close()


async def test_a_guest_must_name_its_session(live: ServerProcess) -> None:
    room = unique("nosession")
    refused = await upload(live.http_url, room, b"x")
    assert (refused.status, refused.json()["error"]["code"]) == (401, "session_required")


async def test_a_server_without_guests_takes_no_guest_uploads(server_factory: Any) -> None:
    closed = server_factory("--allow-guests", "false")
    session = "s" * 24  # what a guest would present; no connection can have it here
    refused = await upload(closed.http_url, "lobby", b"x", session=session)
    assert (refused.status, refused.json()["error"]["code"]) == (401, "login_required")
    member = await register(closed.http_url, unique("member"))
    assert (await upload(closed.http_url, "lobby", b"x", cookie=member.cookie)).status == 201


async def test_broken_images_are_plain_files_and_bombs_are_refused(live: ServerProcess) -> None:
    room = unique("broken")
    client, session = await guest(live.ws_url, room)
    truncated = image_bytes("PNG", (500, 500))[:300]
    made = (
        await upload(
            live.http_url, room, truncated, name="t.png", kind="image/png", session=session
        )
    ).json()
    assert "width" not in made
    assert "thumb" not in made
    served = await fetch(live.http_url, made["url"])
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["Content-Type"] == "application/octet-stream"
    before = stored_uploads(live)
    refused = await upload(live.http_url, room, bomb(), name="bomb.png", session=session)
    assert (refused.status, refused.json()["error"]["code"]) == (413, "image_too_large")
    assert stored_uploads(live) == before
    await client.ws.close()


async def test_ranges_etags_and_multipart(live: ServerProcess) -> None:
    room = unique("ranges")
    client, session = await guest(live.ws_url, room)
    data = bytes(range(256)) * 1100  # 281,600 bytes: two chunks
    made = await upload(live.http_url, room, data, name="d.bin", session=session, multipart=True)
    assert made.status == 201, made.body
    url = made.json()["url"]
    whole = await fetch(live.http_url, url)
    etag = whole.headers["ETag"]
    assert whole.body == data
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Cache-Control"] == "private, no-cache"
    span = await fetch(live.http_url, url, {"Range": "bytes=262000-262199"})
    assert span.status == 206
    assert span.body == data[262000:262200]
    assert span.headers["Content-Range"] == f"bytes 262000-262199/{len(data)}"
    tail = await fetch(live.http_url, url, {"Range": "bytes=-10"})
    assert tail.status == 206
    assert tail.body == data[-10:]
    past = await fetch(live.http_url, url, {"Range": f"bytes={len(data)}-"})
    assert past.status == 416
    assert past.headers["Content-Range"] == f"bytes */{len(data)}"
    stale = await fetch(live.http_url, url, {"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status == 200
    assert stale.body == data
    fresh = await fetch(live.http_url, url, {"Range": "bytes=0-9", "If-Range": etag})
    assert fresh.status == 206
    assert fresh.body == data[:10]
    cached = await fetch(live.http_url, url, {"If-None-Match": etag})
    assert cached.status == 304
    assert cached.body == b""
    assert (await fetch(live.http_url, url, {"If-None-Match": '"nope"'})).status == 200
    await client.ws.close()
