"""What a request carries: a JSON body decoded into its Struct, the room of the path, integer
query parameters. Each refusal is a ``Refused`` with the API's standard codes.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final, TypeVar

import msgspec
from aiohttp import web

from roomcast.http.bodies import Body
from roomcast.http.keys import HUB_KEY
from roomcast.http.replies import Refused
from roomcast.wire import protocol
from roomcast.wire.protocol import ProtocolError

B = TypeVar("B", bound=Body)

# How msgspec names a value of the wrong type: "Expected `str`, got `int` - at `$.name`".
_WRONG_TYPE: Final = re.compile(r"Expected `(\w+)`, got `\w+` - at `\$\.(\w+)`")


@cache
def _field_names(kind: type[Body]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The JSON names of ``kind``'s fields, and of those required, in their declared order.
    (msgspec works them out from the type hints each time it is asked: 130 us a call.)"""
    fields = msgspec.structs.fields(kind)
    names = tuple(field.encode_name for field in fields)
    return names, tuple(field.encode_name for field in fields if field.required)


async def read_body(request: web.Request, kind: type[B]) -> B:
    """The body as a ``kind``: a JSON object with its required fields, of the declared types,
    and no others. Checked in that order, so the first refusal is the same whatever the types.
    """
    try:
        raw = await request.json()
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raise Refused(400, "bad_json", "body must be a JSON object")
    names, required = _field_names(kind)
    unknown = sorted(set(raw) - set(names))
    if unknown:
        raise Refused(400, "unknown_field", f"unknown field(s): {', '.join(unknown)}")
    for name in required:
        if name not in raw:
            raise Refused(400, "missing_field", f"{name} is required")
    try:
        return msgspec.convert({name: raw[name] for name in names if name in raw}, kind)
    except msgspec.ValidationError as exc:
        wrong = _WRONG_TYPE.search(str(exc))
        if wrong is None:
            raise Refused(400, "bad_field", str(exc)) from None
        expected, name = wrong.groups()
        raise Refused(400, "bad_field", f"{name} must be {kind.type_nouns[expected]}") from None


async def room_param(request: web.Request) -> str:
    """The ``{room}`` of the path, checked against the naming rules, as the store spells it
    (names are case-insensitive); a write records the spelling of a room new to the store."""
    try:
        room = protocol.validate_room(request.match_info["room"])
    except ProtocolError as exc:
        raise Refused(400, str(exc.code), exc.message) from None
    return await request.app[HUB_KEY].store.room_name(room, claim=request.method != "GET")


def int_query(request: web.Request, name: str, low: int, high: int) -> int | None:
    """The query parameter ``name``, given at most once, as an integer from ``low`` to ``high``."""
    values = request.query.getall(name, [])
    if not values:
        return None
    raw = values[0]
    if len(values) > 1 or not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise Refused(400, "bad_param", f"{name} must be an integer between {low} and {high}")
    return int(raw)
