"""The asyncio client library: typed events, automatic reconnect and resume.

::

    async with connect("ws://127.0.0.1:8000/ws", nick="bot", room="default") as chat:
        await chat.join("random")
        message_id = await chat.send("hello", room="default")
        await chat.react("default", message_id, "👍")
        await chat.send("and welcome", room="default", reply_to=message_id)
        page = await chat.history("default", limit=20)
        async for event in chat:
            if isinstance(event, Message) and not event.backlog:
                print(event.author, event.text)

`from roomcast.client import connect` is the entry point; see docs/client.md. The package owns
``events`` (the typed events, answers and errors), ``frames`` (reading server frames into them),
``inbox`` (where each server frame goes), ``resume`` (what survives a reconnect), ``requests``
(calls waiting for their answer), ``reconnect`` (when and how soon to reconnect), ``calls``
(the requests and what their answers mean), ``uploads`` (files for lines to attach),
``chat_client`` (``ChatClient``, the connection) and ``connecting`` (``connect``). It may
import aiohttp, ``roomcast.record`` and ``roomcast.wire.protocol``, and nothing of the server.
"""

from roomcast.client.chat_client import ChatClient
from roomcast.client.connecting import connect
from roomcast.client.events import (
    Attachment,
    ChatError,
    ClientClosed,
    Connected,
    Deleted,
    Disconnected,
    Edited,
    EditHistory,
    Event,
    HistoryPage,
    Joined,
    Left,
    MembersPage,
    Message,
    NickChanged,
    Notify,
    Reaction,
    ReactionSummary,
    Read,
    RoomInfo,
    Rooms,
    RoomState,
    ServerError,
    Typing,
    Users,
    Version,
)

__all__ = [
    "Attachment",
    "ChatClient",
    "ChatError",
    "ClientClosed",
    "Connected",
    "Deleted",
    "Disconnected",
    "EditHistory",
    "Edited",
    "Event",
    "HistoryPage",
    "Joined",
    "Left",
    "MembersPage",
    "Message",
    "NickChanged",
    "Notify",
    "Reaction",
    "ReactionSummary",
    "Read",
    "RoomInfo",
    "RoomState",
    "Rooms",
    "ServerError",
    "Typing",
    "Users",
    "Version",
    "connect",
]
