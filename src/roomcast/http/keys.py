"""The typed keys under which ``app.build_app`` puts each handler's dependencies."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from roomcast.chat.hub import Hub
from roomcast.chat.node_stats import NodeStats
from roomcast.http.images import Pictures
from roomcast.ops.config import Settings
from roomcast.ratelimit import KeyedBuckets
from roomcast.transport.connection import WebSocketService

HUB_KEY: Final = web.AppKey("hub", Hub)
SETTINGS_KEY: Final = web.AppKey("settings", Settings)
SERVICE_KEY: Final = web.AppKey("websockets", WebSocketService)
API_KEY_KEY: Final = web.AppKey("api_key", str)
LOGIN_BUDGET_KEY: Final = web.AppKey("login_budget", KeyedBuckets)
PICTURES_KEY: Final = web.AppKey("pictures", Pictures)
NODE_STATS_KEY: Final = web.AppKey("node_stats", NodeStats)
