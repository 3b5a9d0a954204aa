"""Moderation's cross-node control events: typed records, and their encoding for the broker's
control channel (a small JSON object with an ``op``).

A node that changes a room's rules publishes one; every node with members in the room applies
it to its own members:

- ``Refresh``: re-read the rules, update mutes and send each member the new ``Room`` frame;
- ``Reload``: re-read the rules quietly (a guest's sanction was just recorded);
- ``Remove``: a kick, a ban or a lost invitation: send ``Kicked`` and take the member out;
- ``Mute``: re-read the rules, which now hold the mute.

``Remove`` and ``Mute`` name their target by account, or by nickname key for a guest. A guest is
sanctioned by address, which only the node holding its connection knows: ``guest_sanction`` asks
that node to record the ban or mute before it acts.
"""

from __future__ import annotations

from typing import Any

import orjson

from roomcast.record import record
from roomcast.wire import protocol


class BadControlEvent(ValueError):
    """A control channel payload that is not a control event."""


@record
class Refresh:
    pass


@record
class Reload:
    pass


@record
class Remove:
    account: str | None
    key: str | None
    by: str
    reason: str
    banned: bool
    until: int | None = None
    guest_sanction: str | None = None


@record
class Mute:
    account: str | None
    key: str | None
    by: str
    reason: str
    until: int | None = None
    guest_sanction: str | None = None


ControlEvent = Refresh | Reload | Remove | Mute


def concerns(event: Remove | Mute, account_id: str | None, nick: str) -> bool:
    """Whether a remove or mute names the member with this account (or, for a guest, nick)."""
    if event.account is not None:
        return account_id == event.account
    return event.key is not None and protocol.nick_key(nick) == event.key


def encode(event: ControlEvent) -> bytes:
    fields: dict[str, Any]
    match event:
        case Refresh():
            fields = {"op": "refresh"}
        case Reload():
            fields = {"op": "reload"}
        case Remove() | Mute():
            fields = {
                "op": "remove" if isinstance(event, Remove) else "mute",
                "account": event.account,
                "key": event.key,
                "by": event.by,
                "reason": event.reason,
                "until": event.until,
            }
            if isinstance(event, Remove):
                fields["banned"] = event.banned
            if event.guest_sanction is not None:
                fields["record"] = event.guest_sanction
    return orjson.dumps(fields)


def decode(payload: bytes) -> ControlEvent:
    """The event in ``payload``; ``BadControlEvent`` when it is none."""
    try:
        fields = orjson.loads(payload)
        op = fields["op"]
        if op == "refresh":
            return Refresh()
        if op == "reload":
            return Reload()
        if op in ("remove", "mute"):
            return _sanctioned(op, fields)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadControlEvent(f"not a control event: {exc}") from None
    raise BadControlEvent(f"unknown control event {op!r}")


def _sanctioned(op: str, fields: dict[str, Any]) -> Remove | Mute:
    account, key, until = fields.get("account"), fields.get("key"), fields.get("until")
    guest_sanction = fields.get("record")
    common: dict[str, Any] = {
        "account": account if isinstance(account, str) else None,
        "key": key if isinstance(key, str) else None,
        "by": str(fields.get("by", "")),
        "reason": str(fields.get("reason", "")),
        "until": until if isinstance(until, int) else None,
        "guest_sanction": guest_sanction if isinstance(guest_sanction, str) else None,
    }
    if op == "remove":
        return Remove(banned=bool(fields.get("banned")), **common)
    return Mute(**common)
