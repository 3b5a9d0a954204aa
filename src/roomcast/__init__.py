"""roomcast: a real-time WebSocket chat server."""

__version__ = "0.1.0"
