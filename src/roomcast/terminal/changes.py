"""What happens to a shown line later: an edit, a deletion or a reaction from anyone, applied
to the room's list of known messages (the list is changed in place)."""

from __future__ import annotations

from dataclasses import replace

from roomcast.client import Deleted, Edited, Message, Reaction, ReactionSummary

#: The text a deleted line is shown with.
DELETED = "(deleted)"

Change = Edited | Deleted | Reaction


def apply(messages: list[Message], change: Change) -> bool:
    """Apply ``change`` to its target in ``messages``; False when the target is not there."""
    index = next((i for i, m in enumerate(messages) if m.id == change.target), None)
    if index is None:
        return False
    old = messages[index]
    if isinstance(change, Edited):
        messages[index] = replace(old, text=change.text or DELETED, edited=change.time)
    elif isinstance(change, Deleted):
        messages[index] = replace(old, text=DELETED, edited=None, reactions=(), attachments=())
    else:
        messages[index] = replace(old, reactions=_react(old.reactions, change))
    return True


def _react(chips: tuple[ReactionSummary, ...], change: Reaction) -> tuple[ReactionSummary, ...]:
    """``chips`` with ``change.name``'s ``change.emoji`` added or taken back."""
    out: list[ReactionSummary] = []
    found = False
    for chip in chips:
        if chip.emoji != change.emoji:
            out.append(chip)
            continue
        found = True
        names = tuple(n for n in chip.names if n != change.name)
        if not change.removed:
            names += (change.name,)
        if names:
            out.append(ReactionSummary(chip.emoji, len(names), names))
    if not found and not change.removed:
        out.append(ReactionSummary(change.emoji, 1, (change.name,)))
    return tuple(out)
