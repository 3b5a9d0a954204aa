"""`websockets` peer: the library's documented ``broadcast()`` to the members of a room.

Run: ``python websockets_server.py PORT`` (in the bench's websockets venv, on uvloop).
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[str, set[ServerConnection]] = {}
ids = itertools.count(1)


async def handler(ws: ServerConnection) -> None:
    query = parse_qs(urlsplit(ws.request.path if ws.request else "/").query)
    room = query.get("room", ["default"])[0] or "default"
    wsid = f"{next(ids):x}"
    members = rooms.setdefault(room, set())
    members.add(ws)
    try:
        async for data in ws:
            try:
                line = json.loads(data)
                message, author = line["Message"], line.get("Author", "")
            except (ValueError, KeyError, TypeError):
                continue
            frame = json.dumps(
                {
                    "Type": "Chat",
                    "Message": message,
                    "Author": author,
                    "Room": room,
                    "WSID": wsid,
                    "Sent": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "ID": next(ids),
                },
                separators=(",", ":"),
            )
            broadcast(members, frame)
    finally:
        members.discard(ws)
        if not members:
            rooms.pop(room, None)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=4096) as server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
