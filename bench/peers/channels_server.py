"""Django Channels peer: an ``AsyncWebsocketConsumer`` and the in-memory channel layer, on uvicorn.

The consumer follows the Channels tutorial's chat: ``group_add`` on connect, ``group_send`` on
receive, a ``chat_message`` handler that sends to the socket. The Chat frame is encoded once in
``receive`` and carried through the layer as text (the tutorial encodes it per recipient).

Run: ``uvicorn channels_server:application --port PORT`` (in the bench's channels venv).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["channels"],
    CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    ROOT_URLCONF=__name__,
    USE_TZ=True,
)
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

urlpatterns: list[Any] = []
ids = itertools.count(1)


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope["query_string"].decode())
        self.room = query.get("room", ["default"])[0] or "default"
        self.wsid = f"{next(ids):x}"
        await self.channel_layer.group_add(self.room, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            line = json.loads(text_data or "")
            message, author = line["Message"], line.get("Author", "")
        except (ValueError, KeyError, TypeError):
            return
        frame = json.dumps(
            {
                "Type": "Chat",
                "Message": message,
                "Author": author,
                "Room": self.room,
                "WSID": self.wsid,
                "Sent": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                "ID": next(ids),
            },
            separators=(",", ":"),
        )
        await self.channel_layer.group_send(self.room, {"type": "chat.message", "frame": frame})

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["frame"])


application = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": URLRouter([path("ws", ChatConsumer.as_asgi())]),
    }
)
