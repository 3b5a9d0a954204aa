"""Every key of the full-screen client and what it does, as F1 and /help list them."""

from __future__ import annotations

KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "send the line (or save the edit)"),
    ("Shift+Enter, Alt+Enter, Ctrl+J", "a new line in the composer"),
    ("Up (composer empty)", "edit your last line in this room"),
    ("Escape", "cancel the edit"),
    ("Tab", "complete a nickname, or a /command at the start"),
    ("PageUp, PageDown", "scroll the log; PageUp at the top loads older lines"),
    ("Ctrl+N, Alt+Down", "next room"),
    ("Ctrl+P, Alt+Up", "previous room"),
    ("Ctrl+K", "find a joined room, or join the typed name"),
    ("F1", "this list"),
)
