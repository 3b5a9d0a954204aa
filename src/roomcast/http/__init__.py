"""The HTTP layer, the only package that knows aiohttp (with ``ops.serve``, which runs it).

``app`` builds the aiohttp application; ``front_door`` takes every connection first and keeps
WebSocket upgrades from it; ``upgrades`` checks and performs an upgrade, for the front door and for
one sent later on a kept-alive connection. One module per REST resource holds its module-level
handlers and ``ROUTES`` (``rooms``, ``messages``, ``broadcast``, ``accounts``, ``tokens``,
``access``, ``moderation``, ``docs``, ``health``); they share ``bodies`` (every REST body as a
msgspec Struct), ``inputs`` (reading requests), ``callers`` (who is asking), ``replies`` (JSON
answers and errors) and ``keys`` (the typed application keys their dependencies live under).
``specs`` builds the OpenAPI and AsyncAPI documents; ``webhook`` is the client the notifier POSTs
with.

May import: ``wire``, ``chat``, ``moderation``, ``auth``, ``store``, ``transport``, ``ratelimit``,
``ops.config`` and ``ops.metrics``; never ``ops.serve`` or ``ops.cli``, which import it.
"""
