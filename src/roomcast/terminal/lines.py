"""How one chat message reads in the message log: time, its ID, author in a colour stable per name,
"edited", the line it replies to, reactions as chips, attachments as name, size and URL."""

from __future__ import annotations

import hashlib

from rich.text import Text

from roomcast.client import Message

#: Author colours, picked by a hash of the name so a name keeps its colour across runs.
PALETTE = ("cyan", "green", "yellow", "magenta", "blue", "red", "bright_cyan", "bright_green")


def name_colour(name: str) -> str:
    """The colour of ``name``: the same on every run and machine (not Python's salted hash)."""
    digest = hashlib.blake2s(name.encode(), digest_size=2).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


def mentions_me(message: Message, nick: str | None) -> bool:
    """Whether ``message`` names ``nick`` (by the server's mentions, or in its text)."""
    if not nick or message.author == nick:
        return False
    lowered = nick.casefold()
    return (
        any(m.casefold() == lowered for m in message.mentions) or lowered in message.text.casefold()
    )


def render(message: Message, nick: str | None, color: bool, quoted: Message | None = None) -> Text:
    """``message`` as one or more lines of styled text (no style at all when ``color`` is False)."""
    text = Text(no_wrap=False)
    if quoted is not None:
        text.append(f"  ┆ {quoted.author}: {quoted.text}\n", style="dim" if color else "")
    text.append(message.time.strftime("%H:%M "), style="dim" if color else "")
    text.append(f"#{message.id} ", style="dim" if color else "")  # what /reply and /react name
    action = message.text.removeprefix("/me ") if message.text.startswith("/me ") else None
    if action is not None:
        text.append("* ")
    text.append(message.author, style=f"bold {name_colour(message.author)}" if color else "")
    text.append(f" {action}" if action is not None else f": {message.text}")
    if message.edited is not None:
        text.append(" (edited)", style="dim" if color else "")
    for reaction in message.reactions:
        text.append(f" [{reaction.emoji} {reaction.count}]")
    for attachment in message.attachments:
        text.append(f"\n  📎 {attachment.name} ({attachment.size} B) {attachment.url}")
    if color and mentions_me(message, nick):
        text.stylize("on dark_red")
    return text
