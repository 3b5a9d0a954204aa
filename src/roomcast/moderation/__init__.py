"""Moderation: room policy rules, the moderation service and its cross-node control events."""
