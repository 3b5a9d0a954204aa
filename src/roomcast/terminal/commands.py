"""The composer's /commands: what each takes, and reading a typed line into one (or a clear
reason it is not one), before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

#: Each command, its arguments as shown in /help, and how many words come before free text
#: (``-1``: no arguments at all).
COMMANDS: dict[str, tuple[str, int]] = {
    "join": ("ROOM", 0),
    "leave": ("[ROOM]", 0),
    "nick": ("NAME", 0),
    "me": ("TEXT", 0),
    "msg": ("NAME TEXT", 1),
    "react": ("[ID] EMOJI", 1),
    "reply": ("ID TEXT", 1),
    "search": ("WORDS", 0),
    "topic": ("TEXT", 0),
    "kick": ("NAME [REASON]", 1),
    "ban": ("NAME [DURATION] [REASON]", 1),
    "unban": ("NAME", 1),
    "mute": ("NAME [DURATION] [REASON]", 1),
    "unmute": ("NAME", 1),
    "help": ("", -1),
    "quit": ("", -1),
}

#: Commands offered only where the server gives this client a moderator's role, and those roles.
MODERATION = frozenset({"topic", "kick", "ban", "unban", "mute", "unmute"})
MODERATING_ROLES = frozenset({"moderator", "owner", "admin"})

#: Commands whose first word is a message id (for /react it may be left out: the latest line).
BY_ID = frozenset({"react", "reply"})

#: Commands that may take a duration after the name, and the units a duration is written in.
TIMED = frozenset({"ban", "mute"})
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True, slots=True)
class Command:
    """A typed command: its name, its leading words, and the free text after them."""

    name: str
    words: tuple[str, ...]
    text: str
    #: Seconds a /ban or /mute lasts; None: until lifted.
    duration: int | None = None


class BadCommand(ValueError):
    """A line that starts with ``/`` but is not a command as typed; the message says why."""


def offered(role: str) -> list[str]:
    """The commands a client with ``role`` in the room is offered (by /help and Tab)."""
    return [n for n in COMMANDS if n not in MODERATION or role in MODERATING_ROLES]


def usage(name: str) -> str:
    """``/name ARGS``, as /help and errors show it."""
    return f"/{name} {COMMANDS[name][0]}".rstrip()


def parse(line: str) -> Command:
    """``line`` (starting with ``/``) as a command; BadCommand when unknown or malformed."""
    name, _, rest = line[1:].partition(" ")
    if name not in COMMANDS:
        raise BadCommand(f"unknown command /{name}; /help lists them")
    args, leading = COMMANDS[name]
    parts = rest.split(maxsplit=max(leading, 0))
    if leading < 0:
        if parts:
            raise BadCommand(f"{usage(name)} takes no arguments")
        return Command(name, (), "")
    required = sum(1 for arg in args.split() if not arg.startswith("["))
    if len(parts) < required:
        raise BadCommand(f"usage: {usage(name)}")
    if name == "react" and not (len(parts) == 2 and parts[0].isdigit()):
        return Command(name, (), rest.strip())  # no ID: the room's latest line
    words, text = tuple(parts[:leading]), " ".join(parts[leading:])
    if name in BY_ID and not words[0].isdigit():
        raise BadCommand(f"usage: {usage(name)} (ID is a message number)")
    if name in ("unban", "unmute") and text:
        raise BadCommand(f"usage: {usage(name)}")
    if name in TIMED:
        first, _, rest = text.partition(" ")
        duration = seconds(first)
        if duration is not None:
            return Command(name, words, rest.strip(), duration)
    return Command(name, words, text)


def seconds(word: str) -> int | None:
    """``word`` read as a duration (``90s``, ``10m``, ``2h``, ``1d``, ``1w``, or plain seconds),
    or None when it is not one (then it is the start of a reason)."""
    number, unit = (word[:-1], word[-1]) if word[-1:] in UNITS else (word, "s")
    if not number.isascii() or not number.isdigit() or int(number) == 0:
        return None
    return int(number) * UNITS[unit]
