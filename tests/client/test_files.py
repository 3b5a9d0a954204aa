"""Files through the client library against a live server: ``upload`` (bytes and a path) under
the client's session, ``send(..., attachments=...)``, the files on the ``Message`` another
client sees, and the server's refusals as ``ChatError``."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.support import next_of
from conftest import ServerProcess
from files_testing import fetch, image_bytes
from roomcast.client import ChatError, Joined, Message, connect


async def test_upload_send_and_see_the_files(server: ServerProcess, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(image_bytes("PNG", (640, 480)))
    async with (
        connect(server.ws_url, nick="alice", room="f") as alice,
        connect(server.ws_url, nick="bob", room="f") as bob,
    ):
        await next_of(bob, Joined)
        picture = await alice.upload("f", photo)
        notes = await alice.upload("f", b"some notes", name="notes.txt")
        assert (picture.name, picture.type, picture.width, picture.height) == (
            "photo.png",
            "image/png",
            640,
            480,
        )
        assert (notes.type, notes.size, notes.thumb) == ("text/plain", 10, None)
        line = await alice.send("", "f", attachments=[picture, notes.id])
        seen = await next_of(bob, Message, lambda m: m.id == line)
        assert seen.attachments == (picture, notes)
        assert (await fetch(server.http_url, notes.url)).body == b"some notes"
        with pytest.raises(ChatError) as used:
            await alice.send("again", "f", attachments=[notes])
        assert used.value.code == "attachment_used"
        with pytest.raises(ChatError) as foreign:
            await bob.send("", "f", attachments=[(await alice.upload("f", b"x")).id])
        assert foreign.value.code == "attachment_not_found"
        with pytest.raises(ChatError) as empty:
            await alice.upload("f", b"")
        assert empty.value.code == "empty_file"
