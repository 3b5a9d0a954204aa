"""The Redis layer: roomcast's own Redis client and the Lua scripts it runs.

It owns everything that speaks to Redis: the address in a ``redis://`` URL, the RESP connection
parsed by ``hiredis``, reconnecting with backoff, the command client, the pub/sub subscriber and
publisher, script loading, and the names roomcast gives its keys and channels. The broker and the
presence build their logic on it; it knows nothing of them.

May import: the standard library, ``hiredis`` and ``roomcast.record``; nothing else of roomcast.
"""
