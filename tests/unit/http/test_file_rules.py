"""The rules of files over HTTP without a server: names, media types, what bytes are an image,
thumbnails (small, upright, no metadata), decompression bombs, broken images, byte ranges and
the Content-Disposition of each kind of file."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from yarl import URL

from roomcast.client.uploads import attachment_from_body, http_url
from roomcast.http.files import byte_range, disposition
from roomcast.http.images import MAX_PIXELS, ImageTooLarge, Pictures, sniff
from roomcast.http.replies import Refused
from roomcast.http.uploads import clean_name, media_type
from roomcast.store.memory_uploads import MemoryUploads
from roomcast.store.uploads import Upload


def _image(kind: str, size: tuple[int, int], **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, kind, **save)
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("  spaced.txt  ", "spaced.txt"),
        ("tab\there.txt", "tabhere.txt"),
        ("\u202etxt.exe", "txt.exe"),
        ("...", "file"),
        ("e\u0301.txt", "\u00e9.txt"),
        ("a" * 250, "a" * 200),
        ("b" * 250 + ".tar.gz", "b" * 197 + ".gz"),
    ],
)
def test_names_are_cleaned(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_media_types_are_checked_and_lowered() -> None:
    assert media_type("Text/Plain; charset=utf-8") == "text/plain"
    assert media_type("image/svg+xml") == "image/svg+xml"
    for bad in (None, "", "text", "text/html\r\nX: y", "a/b/c", "x" * 70 + "/y"):
        assert media_type(bad) == "application/octet-stream"


def test_only_image_signatures_are_images() -> None:
    assert sniff(_image("PNG", (2, 2))[:12]) == "image/png"
    assert sniff(_image("JPEG", (2, 2))[:12]) == "image/jpeg"
    assert sniff(_image("GIF", (2, 2))[:12]) == "image/gif"
    assert sniff(_image("WEBP", (2, 2))[:12]) == "image/webp"
    for other in (b"<svg xmlns=", b"<!DOCTYPE html>", b"RIFF\0\0\0\0WAVE", b"", b"%PDF-1.7"):
        assert sniff(other) is None


async def test_thumbnails_are_small_upright_and_bare() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show
    exif[0x010E] = "GPS 48.8584 N 2.2945 E"
    photo = _image("JPEG", (1600, 900), exif=exif.tobytes())
    picture = await Pictures().picture(io.BytesIO(photo))
    assert picture is not None
    assert (picture.width, picture.height) == (1600, 900)
    with Image.open(io.BytesIO(picture.thumb)) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.size == (225, 400)  # turned upright, at most 400 px
        assert not thumb.getexif()
        assert "icc_profile" not in thumb.info
    assert b"48.8584" not in picture.thumb


async def test_bombs_are_refused_and_broken_images_are_plain_files() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    big = _image("PNG", (side, side))  # compresses to almost nothing
    with pytest.raises(ImageTooLarge):
        await Pictures().picture(io.BytesIO(big))
    assert await Pictures().picture(io.BytesIO(_image("PNG", (300, 300))[:200])) is None
    assert await Pictures().picture(io.BytesIO(b"\x89PNG\r\n\x1a\n garbage")) is None


def test_byte_ranges() -> None:
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-9", 100) == (0, 9)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=90-500", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=-500", 100) == (0, 99)
    for ignored in ("bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=-", "rubbish"):
        assert byte_range(ignored, 100) is None
    for past in ("bytes=100-", "bytes=100-200", "bytes=-0"):
        with pytest.raises(Refused) as refused:
            byte_range(past, 100)
        assert refused.value.status == 416
        assert refused.value.headers["Content-Range"] == "bytes */100"


def test_only_sniffed_images_are_inline() -> None:
    image = Upload("i", "r", "o", "a b.png", "image/png", 1, "d", 0, inline=True)
    page = Upload("h", "r", "o", 'x".html', "text/html", 1, "d", 0)
    assert disposition(image) == "inline; filename*=UTF-8''a%20b.png"
    assert disposition(page) == "attachment; filename*=UTF-8''x%22.html"


async def test_the_memory_store_keeps_chunks_apart() -> None:
    files = MemoryUploads()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"c"

    upload = Upload("m", "r", "o", "f", "t/t", 3, "d", 0)
    await files.add_upload(upload, chunks(), None, 10)
    assert [c async for c in files.upload_chunks("m", 1, 5)] == [b"c"]
    assert await files.delete_room_uploads("r") == 1


def test_the_client_finds_the_http_origin_and_reads_answers() -> None:
    assert http_url(URL("ws://h:8000/ws?room=x")) == URL("http://h:8000/")
    assert http_url(URL("wss://h/ws")) == URL("https://h/")
    body = {"id": "i", "name": "n", "size": 3, "type": "text/plain", "url": "/api/files/i/n"}
    assert attachment_from_body(body).thumb is None
