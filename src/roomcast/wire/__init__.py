"""The wire: chat frames (typed, validated, encoded), WebSocket framing and the HTTP/1 head.

No asyncio, no sockets: bytes and values in, bytes and values out. Imports only the standard
library, orjson, msgspec and ``roomcast.record``; every other package may import it.
``protocol`` is the import point for the chat protocol's names; ``frames`` defines the frames.
"""
