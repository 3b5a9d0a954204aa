"""The rules of a change to a message, the same in every store: who may make it, when a reaction
would be one too many, and when it would change nothing (and so adds no event)."""

from __future__ import annotations

from collections.abc import Collection

from roomcast.store.base import DELETE, EDIT, REACT, UNREACT, Change, ChangeRefused
from roomcast.wire.protocol import MAX_REACTIONS, ChatMessage, ErrorCode, LogEvent


def decide(change: Change, *, own: bool, text: str, emojis: Collection[str], reacted: bool) -> bool:
    """Whether ``change`` to a live line adds an event; ``ChangeRefused`` when it may not be made.

    ``own``: the line is the asker's; ``text``: its current text; ``emojis``: the distinct
    reactions on it; ``reacted``: the asker already has ``change.text`` (an emoji) on it.
    """
    if change.kind == EDIT:
        if not own:
            raise ChangeRefused(ErrorCode.FORBIDDEN, "only its author may edit a message")
        return change.text != text
    if change.kind == DELETE:
        if not (own or change.moderator):
            raise ChangeRefused(
                ErrorCode.FORBIDDEN, "only its author or a moderator may delete a message"
            )
        return True
    if change.kind == REACT:
        if reacted:
            return False
        if change.text not in emojis and len(emojis) >= MAX_REACTIONS:
            raise ChangeRefused(
                ErrorCode.TOO_MANY, f"a message has at most {MAX_REACTIONS} different reactions"
            )
        return True
    assert change.kind == UNREACT, change.kind
    return reacted


def as_line(event: LogEvent) -> ChatMessage:
    """The line a re-sent ref is answered with: the event the ref first made, seen as a line
    (only its room and ID are used, for the ``Ack``)."""
    if isinstance(event, ChatMessage):
        return event
    return ChatMessage(event.room, event.id, "", "", "", event.sent_ms)
