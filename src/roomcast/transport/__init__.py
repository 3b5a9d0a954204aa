"""Transport: WebSocket connections on asyncio transports, the outbox that frames each room's
payloads once and joins a loop iteration's writes, liveness, and admission limits.

May import ``wire``, ``chat`` (the hub it hands commands to), ``auth`` and ``store`` (their
errors), ``clock``, ``ratelimit``, ``record`` and ``ops.config``/``ops.metrics``; never ``http``.
"""
