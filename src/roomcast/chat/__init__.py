"""The chat domain: members and rooms as state, the registry, per-room sequencing, nicknames,
user lists, rate budgets, chat lines, and the hub that glues them and listens to the broker.

Hands JSON payloads to a fan-out interface; never frames and never touches a socket. May import
``wire.protocol`` (payloads), ``auth``, ``store``, ``broker``, ``presence``, ``moderation``
(which admits members to rooms and carries out moderation commands), ``clock``, ``ratelimit``
and ``ops.config``/``ops.metrics``; nothing of ``wire.websocket``, ``transport`` or ``http``.
"""
