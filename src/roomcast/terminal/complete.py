"""Tab completion of the word before the cursor: a /command at the start of the line, else a
nickname of the room."""

from __future__ import annotations

from collections.abc import Iterable


def complete(word: str, candidates: Iterable[str]) -> tuple[str, list[str]]:
    """``word`` completed as far as ``candidates`` agree (case-insensitively), with a space when
    only one fits, and the ones that fit; ``word`` itself when none do."""
    fits = sorted({c for c in candidates if c.lower().startswith(word.lower())})
    if not word or not fits:
        return word, fits
    if len(fits) == 1:
        return fits[0] + " ", fits
    lowered = [f.lower() for f in fits]
    agreed = zip(*lowered, strict=False)
    common = next((i for i, at in enumerate(agreed) if len(set(at)) > 1), min(map(len, lowered)))
    return (fits[0][:common] if common > len(word) else word), fits
