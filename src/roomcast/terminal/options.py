"""What ``roomcast chat`` was asked for on its command line, resolved: where, who, which rooms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["full", "plain", "json"]


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """One run of the terminal client.

    ``url`` is the server's WebSocket URL (credentials, when any, already in its query as
    ``token=``); ``rooms`` are joined in order, the first is the one shown (or written to in the
    line modes); ``nick`` is the nickname asked for (None: the account's name or a guest name);
    ``bell`` rings the terminal bell on a mention; ``color`` is False when NO_COLOR is set.
    """

    url: str
    rooms: tuple[str, ...]
    nick: str | None
    mode: Mode = "full"
    bell: bool = True
    color: bool = True
