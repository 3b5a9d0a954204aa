"""Images among uploads: what their first bytes say they are, and their size and thumbnail.

Only the bytes decide: a file is a PNG, JPEG, GIF or WebP image when its signature says so,
whatever type the upload claimed, and only such a file is ever shown inline. Pillow reads it in
a worker thread (a few at a time), refusing a decompression bomb (over ``MAX_PIXELS``, or what
Pillow itself warns of) before decoding; a file that does not decode (truncated, corrupt) is
kept as a plain file. The thumbnail is re-encoded as WebP, at most ``THUMB_PIXELS`` on its long
side, upright (its EXIF orientation applied) and with no metadata at all: Pillow writes only
what it is given, and it is given no EXIF, XMP or ICC data.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from typing import IO, Final

from PIL import Image, ImageOps

from roomcast.record import record

MAX_PIXELS: Final = 40_000_000
THUMB_PIXELS: Final = 400
# Pillow's image work at once, per node: each may hold a decoded image (up to 160 MB at
# MAX_PIXELS in RGBA) while it runs.
_AT_ONCE: Final = 2

_SIGNATURES: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
SNIFF_BYTES: Final = 12


class ImageTooLarge(Exception):
    """The image would decode to more pixels than allowed (a decompression bomb)."""


@record
class Picture:
    """A decoded image: its size in pixels and its thumbnail (WebP bytes)."""

    width: int
    height: int
    thumb: bytes


def sniff(head: bytes) -> str | None:
    """The image type of a file that starts with ``head`` (its first ``SNIFF_BYTES``), if any."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _picture(file: IO[bytes]) -> Picture | None:
    file.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageTooLarge(f"{width} x {height} pixels")
                # A JPEG decodes at the smallest of its 1/1 to 1/8 scales still over the size
                # wanted (the others ignore this): 136 -> 59 ms for 12 megapixels.
                image.draft("RGB", (THUMB_PIXELS, THUMB_PIXELS))
                image.load()
                thumb = ImageOps.exif_transpose(image)
                thumb.thumbnail((THUMB_PIXELS, THUMB_PIXELS))
                if thumb.mode not in ("RGB", "RGBA"):
                    thumb = thumb.convert("RGBA" if thumb.has_transparency_data else "RGB")
                out = io.BytesIO()
                thumb.save(out, "WEBP", quality=80)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(str(exc)) from None
        except (OSError, ValueError, SyntaxError, EOFError):
            return None  # it does not decode: a plain file
    return Picture(width, height, out.getvalue())


class Pictures:
    """Decodes images off the event loop, ``_AT_ONCE`` at a time."""

    def __init__(self) -> None:
        self._slots = asyncio.Semaphore(_AT_ONCE)

    async def picture(self, file: IO[bytes]) -> Picture | None:
        """The image in ``file`` (which ``sniff`` named an image), None when it does not
        decode; ``ImageTooLarge`` for a decompression bomb."""
        async with self._slots:
            return await asyncio.to_thread(_picture, file)
