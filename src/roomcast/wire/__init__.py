"""The wire: chat frames (typed, validated, encoded), WebSocket framing and the HTTP/1 head.

No asyncio, no sockets: bytes and values in, bytes and values out."""
