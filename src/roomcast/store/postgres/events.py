"""The rows of a room's log as the PostgreSQL store reads them: a line or a change (``kind``),
and the event each makes. The reads and the writer (answering a re-sent ref) share them."""

from __future__ import annotations

from typing import Final

import asyncpg

from roomcast.store.base import DELETE, EDIT, UNREACT
from roomcast.wire.attachments import read_attachments
from roomcast.wire.protocol import (
    ChatMessage,
    DeletedEvent,
    EditedEvent,
    LogEvent,
    ReactionEvent,
    ReactionSummary,
)

# A line's columns, in ``ChatMessage`` order up to ``edited_ms``, then its mentions and its
# attachments (``wire.attachments.stored_attachments``).
LINE: Final = (
    "room, id, author, body, wsid, sent_ms, reply_to, thread, edited_ms, mentions, attachments"
)
# Any event's: a line's, then whether it is deleted, the kind of change and its target.
EVENT: Final = f"{LINE}, deleted, kind, target"
# What makes a row a line that was not deleted.
LIVE: Final = "kind IS NULL AND NOT deleted"


def line(
    row: asyncpg.Record,
    reactions: tuple[ReactionSummary, ...] = (),
    replies: int = 0,
    deleted: bool = False,
) -> ChatMessage:
    """The line of a row read with ``LINE`` columns first, in the state given."""
    room, line_id, author, body, wsid, sent_ms, reply_to, thread, edited_ms, mentions, files = (
        tuple(row)[:11]
    )
    return ChatMessage(
        room, line_id, author, body, wsid, sent_ms, reply_to, thread, edited_ms,
        reactions, replies, deleted, tuple(mentions or ()), read_attachments(files),
    )  # fmt: skip


def event(row: asyncpg.Record) -> LogEvent:
    """The event of a row read with ``EVENT`` columns: a change's ``author`` is who made it and
    its ``body`` the new text or the emoji."""
    room, event_id, author, body, _, sent_ms = tuple(row)[:6]
    kind, target = row["kind"], row["target"]
    if kind is None:
        return line(row, deleted=row["deleted"])
    if kind == EDIT:
        return EditedEvent(room, event_id, target, body, author, sent_ms)
    if kind == DELETE:
        return DeletedEvent(room, event_id, target, author, sent_ms)
    return ReactionEvent(room, event_id, target, body, author, kind == UNREACT, sent_ms)
