"""Moderation: pure room policy rules (``policy``), the moderation service (``service``), its
typed cross-node control events (``control``) and the narrow interfaces it needs (``ports``).

May import ``auth``, ``store`` (its records), ``wire.protocol`` (payloads and errors), ``clock``
and ``record``; never the chat domain, which it reaches only through ``ports.LocalRooms``.
"""
