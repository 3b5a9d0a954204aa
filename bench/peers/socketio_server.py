"""python-socketio peer on uvicorn: ``AsyncServer(async_mode="asgi")`` + ``ASGIApp``, as its docs
recommend, joining the room named in the connection URL and emitting to that room.

Run: ``uvicorn socketio_server:app --port PORT`` (in the bench's socketio venv).
"""

from __future__ import annotations

import itertools
import time
from typing import Any
from urllib.parse import parse_qs

import socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
app = socketio.ASGIApp(sio)
rooms: dict[str, str] = {}
ids = itertools.count(1)


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    room = query.get("room", ["default"])[0] or "default"
    rooms[sid] = room
    await sio.enter_room(sid, room)


@sio.event
async def disconnect(sid: str, reason: Any = None) -> None:
    rooms.pop(sid, None)


@sio.on("chat")
async def chat(sid: str, line: Any) -> None:
    if not isinstance(line, dict) or not isinstance(line.get("Message"), str):
        return
    room = rooms.get(sid, "default")
    await sio.emit(
        "chat",
        {
            "Type": "Chat",
            "Message": line["Message"],
            "Author": line.get("Author", ""),
            "Room": room,
            "WSID": sid,
            "Sent": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "ID": next(ids),
        },
        to=room,
    )
