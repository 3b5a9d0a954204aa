"""Files in the chat: a line's ``Attachments`` claimed from the upload store before it is stored,
given back when it is not, deleted with the line, and the sweep of uploads no line took.

A line names its uploads by id; each must be an upload of the same person (``owner_key``: the
account, or the guest's session) in the same room, not yet attached. The store marks them
attached all at once, so two lines can never carry the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from roomcast.chat.state import Member
from roomcast.clock import Clock
from roomcast.store.uploads import UploadRefused, UploadStore
from roomcast.wire.attachments import Attachment
from roomcast.wire.protocol import ChatMessage, ErrorCode, ProtocolError, SendChat

log = logging.getLogger(__name__)


class Files:
    """A node's side of files: attaching, deleting and sweeping."""

    def __init__(
        self,
        store: UploadStore,
        clock: Clock,
        unattached_ttl: float,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        """``unattached_ttl``: seconds an upload may wait for a line before it is swept;
        ``spawn`` runs background work."""
        self._store = store
        self._now_ms = clock.now_ms
        self._spawn = spawn
        self._ttl_ms = int(unattached_ttl * 1000)
        self._sweeper: asyncio.Task[None] | None = None

    async def claim(self, member: Member, room: str, command: SendChat) -> tuple[Attachment, ...]:
        """The attachments of ``member``'s line in ``room``, marked attached in the store
        (``muted`` first: a line that may not be sent claims nothing)."""
        if not command.attachments:
            return ()
        if member.place(room).muted_until > self._now_ms():
            raise ProtocolError(ErrorCode.MUTED, f"you are muted in {room!r}", command.ref)
        try:
            uploads = await self._store.attach_uploads(room, member.owner, command.attachments)
        except UploadRefused as refused:
            raise ProtocolError(ErrorCode(refused.code), refused.message, command.ref) from None
        return tuple(upload.attachment() for upload in uploads)

    def release_soon(self, attachments: Sequence[str]) -> None:
        """The line carrying ``attachments`` was not stored: they may be attached again."""
        self._spawn(self._store.detach_uploads(attachments))

    async def deleted(self, line: ChatMessage | None) -> None:
        """``line`` was deleted: so are its files."""
        if line is not None and line.attachments:
            await self._store.delete_uploads([a.id for a in line.attachments])

    async def sweep(self) -> int:
        """Delete the uploads no line took within the time allowed; how many."""
        return await self._store.expire_uploads(self._now_ms() - self._ttl_ms)

    def start(self) -> None:
        """Sweep every tenth of the time allowed (at most hourly), until ``stop``."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def _sweep_loop(self) -> None:
        interval = min(self._ttl_ms / 10_000, 3600.0)
        while True:
            await asyncio.sleep(interval)
            try:
                swept = await self.sweep()
            except Exception:
                log.exception("the sweep of unattached uploads failed")
                continue
            if swept:
                log.info("swept %d unattached uploads", swept)
