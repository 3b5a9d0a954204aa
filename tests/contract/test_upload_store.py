"""The upload contract of every Store: files in chunks, thumbnails, the quota, attaching to a
line (all or none, once), lines carrying their attachments through every read, and what
deletes files (the line's deletion, the room's, the sweep of unattached ones), the same in
memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roomcast.store import Change, NewMessage, Store, owner_key
from roomcast.store.base import DELETE
from roomcast.store.uploads import CHUNK_BYTES, Upload, UploadRefused, chunk_range
from roomcast.wire.attachments import Attachment
from roomcast.wire.protocol import ChatMessage, ErrorCode

from . import test_store

kind = test_store.kind
opened = test_store.opened
store = test_store.store

ALICE = owner_key("id-alice", "s-alice")
BOB = owner_key("id-bob", "s-bob")
T0 = 1_700_000_000_000
QUOTA = 10 * CHUNK_BYTES


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        await asyncio.sleep(0)
        yield data[start : start + CHUNK_BYTES]


def _upload(upload_id: str, data: bytes, room: str = "r", owner: str = ALICE, **kw: Any) -> Upload:
    return Upload(
        upload_id, room, owner, f"{upload_id}.bin", kw.pop("type", "application/octet-stream"),
        len(data), hashlib.sha256(data).hexdigest(), kw.pop("created_ms", T0), **kw,
    )  # fmt: skip


async def _add(
    s: Any, upload_id: str, data: bytes, thumb: bytes | None = None, **kw: Any
) -> Upload:
    upload = _upload(upload_id, data, **kw)
    await s.add_upload(upload, _chunks(data), thumb, QUOTA)
    return upload


async def _content(s: Any, upload_id: str, size: int) -> bytes:
    first, last = chunk_range(0, size - 1)
    return b"".join([chunk async for chunk in s.upload_chunks(upload_id, first, last)])


def _line(room: str, text: str, attachments: tuple[Attachment, ...]) -> NewMessage:
    return NewMessage(
        room, "alice", text, "w", T0, "s-alice", None, ALICE, None, None, (), attachments
    )


async def test_a_file_is_stored_and_read_back_chunk_by_chunk(store: Store) -> None:
    data = bytes(range(256)) * (CHUNK_BYTES * 2 // 256) + b"tail"
    upload = await _add(store, "u1", data, b"thumb", inline=True, width=3, height=2)
    assert await store.upload("u1") == upload
    assert await _content(store, "u1", len(data)) == data
    # One chunk from the middle, as a range request reads it.
    assert [c async for c in store.upload_chunks("u1", 1, 1)] == [
        data[CHUNK_BYTES : 2 * CHUNK_BYTES]
    ]
    assert await store.thumbnail("u1") == b"thumb"
    assert await store.upload("nope") is None
    assert [c async for c in store.upload_chunks("nope", 0, 3)] == []


async def test_the_quota_counts_the_owners_live_uploads(store: Store) -> None:
    await _add(store, "big", b"x" * (QUOTA - 10))
    with pytest.raises(UploadRefused) as refused:
        await _add(store, "over", b"y" * 11)
    assert refused.value.code == "quota_exceeded"
    assert await store.upload("over") is None
    await _add(store, "fits", b"y" * 10)
    await _add(store, "bobs", b"z" * 100, owner=BOB)  # another person's quota
    await store.delete_uploads(["big"])
    await _add(store, "again", b"y" * 100)


async def test_a_failed_stream_leaves_nothing(store: Store) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a" * CHUNK_BYTES
        raise OSError("client went away")

    with pytest.raises(OSError, match="went away"):
        await store.add_upload(_upload("half", b"a" * (2 * CHUNK_BYTES)), broken(), None, QUOTA)
    assert await store.upload("half") is None
    assert [c async for c in store.upload_chunks("half", 0, 1)] == []
    await _add(store, "full", b"b" * (QUOTA - 1))  # the failed one counts for nothing


async def test_attaching_is_all_or_none_and_once(store: Store) -> None:
    a = await _add(store, "a", b"aaa")
    b = await _add(store, "b", b"bbb")
    await _add(store, "other-room", b"ccc", room="elsewhere")
    await _add(store, "bobs", b"ddd", owner=BOB)
    for ids, code in (
        (["a", "missing"], ErrorCode.ATTACHMENT_NOT_FOUND),
        (["a", "other-room"], ErrorCode.ATTACHMENT_NOT_FOUND),
        (["a", "bobs"], ErrorCode.ATTACHMENT_NOT_FOUND),
    ):
        with pytest.raises(UploadRefused) as refused:
            await store.attach_uploads("r", ALICE, ids)
        assert refused.value.code == code
    chosen = await store.attach_uploads("r", ALICE, ["b", "a"])
    assert [u.id for u in chosen] == ["b", "a"]
    assert chosen[0].attachment() == Attachment("b", b.name, 3, b.type)
    with pytest.raises(UploadRefused) as refused:
        await store.attach_uploads("r", ALICE, ["a"])
    assert refused.value.code == ErrorCode.ATTACHMENT_USED
    await store.detach_uploads(["a"])  # its line was not stored
    assert [u.id for u in await store.attach_uploads("r", ALICE, ["a"])] == ["a"]
    assert a.id == "a"


async def test_concurrent_attaches_of_one_upload_give_it_to_one(store: Store) -> None:
    await _add(store, "one", b"1")
    outcomes = await asyncio.gather(
        *(store.attach_uploads("r", ALICE, ["one"]) for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(o, list) for o in outcomes) == 1
    assert all(
        isinstance(o, UploadRefused) and o.code == ErrorCode.ATTACHMENT_USED
        for o in outcomes
        if not isinstance(o, list)
    )


async def test_a_line_carries_its_attachments_in_every_read(store: Store) -> None:
    image = Attachment("img", "cat.png", 1234, "image/png", 800, 600)
    plain = Attachment("txt", "notes.txt", 12, "text/plain")
    appended = await store.append(_line("r", "look", (image, plain)))
    await store.append(_line("r", "no files", ()))
    message = appended.message
    assert message.attachments == (image, plain)
    (page_line, bare) = await store.page("r", None, 10)
    assert page_line.attachments == (image, plain)
    assert bare.attachments == ()
    after = await store.after("r", 0, 10)
    assert isinstance(after[0], ChatMessage)
    assert after[0].attachments == (image, plain)
    found = await store.message("r", message.id)
    assert found is not None
    assert found.attachments == (image, plain)
    frame = found.frame()
    assert frame.Attachments is not None
    assert [e.URL for e in frame.Attachments] == [
        "/api/files/img/cat.png",
        "/api/files/txt/notes.txt",
    ]
    assert frame.Attachments[0].Thumb == "/api/thumbs/img"
    assert frame.Attachments[1].Thumb is None


async def test_a_deleted_line_loses_its_attachments(store: Store) -> None:
    appended = await store.append(_line("r", "x", (Attachment("f", "f.txt", 1, "text/plain"),)))
    target = appended.message.id
    await store.change(Change("r", target, DELETE, ALICE, "alice", "", "w", T0))
    events = await store.after("r", 0, 10)
    assert isinstance(events[0], ChatMessage)
    assert events[0].deleted
    assert events[0].attachments == ()


async def test_unattached_uploads_expire_and_attached_ones_stay(store: Store) -> None:
    await _add(store, "old", b"1", created_ms=T0)
    await _add(store, "kept", b"2", created_ms=T0)
    await _add(store, "new", b"3", created_ms=T0 + 10_000)
    await store.attach_uploads("r", ALICE, ["kept"])
    assert await store.expire_uploads(T0 + 5_000) == 1
    assert await store.upload("old") is None
    assert await store.upload("kept") is not None
    assert await store.upload("new") is not None


async def test_deleting_a_room_deletes_its_files(store: Store) -> None:
    await store.create_room("doomed")
    await _add(store, "in-doomed", b"1", room="doomed")
    await _add(store, "in-r", b"2")
    assert await store.delete_room("doomed")
    assert await store.upload("in-doomed") is None
    assert await _content(store, "in-doomed", 1) == b""
    assert await store.upload("in-r") is not None
