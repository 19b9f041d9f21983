"""Text as people compare it by eye: "Zoë" and "zoe" are the same name to a door steward."""

from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """``text`` without case or accents (letters stripped of their combining marks)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))
