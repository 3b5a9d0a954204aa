"""The Redis layer: roomcast's own Redis client and the Lua scripts it runs.

It owns everything that speaks to Redis: the address in a ``redis://`` URL (``address``), the
RESP connection parsed by ``hiredis`` (``connection``), keeping a connection open with backoff
and pings (``backoff``, ``keeper``), the command client (``client``), the pub/sub subscriber and
publisher (``subscriber``, ``publisher``), Lua scripts run by SHA (``scripts``, with their
sources in ``lua/``), and the names a deployment gives its keys and channels (``names``). The
broker and the presence build their logic on it; it knows nothing of them.

May import: the standard library, ``hiredis`` and ``roomcast.record``; nothing else of roomcast.
"""
