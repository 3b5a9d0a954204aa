"""The asyncio client library: typed events, automatic reconnect and resume.

`from roomcast.client import connect` is the entry point; see docs/client.md.
"""

from roomcast.client.library import (
    ChatClient,
    ChatError,
    ClientClosed,
    Connected,
    Disconnected,
    Event,
    HistoryPage,
    Joined,
    Left,
    Message,
    NickChanged,
    ServerError,
    Users,
    connect,
)

__all__ = [
    "ChatClient",
    "ChatError",
    "ClientClosed",
    "Connected",
    "Disconnected",
    "Event",
    "HistoryPage",
    "Joined",
    "Left",
    "Message",
    "NickChanged",
    "ServerError",
    "Users",
    "connect",
]
