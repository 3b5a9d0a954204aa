"""The chat domain: rooms and members as state, the registry, sequencing, nicknames, user lists.

Hands payloads to a fan-out interface; never touches a socket."""
