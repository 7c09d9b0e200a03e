"""Text clean-up shared by the parsers; every change keeps the string's length."""

from __future__ import annotations

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})


def normalise_quotes(text: str) -> str:
    """Straighten typographic quotes so "I’m" reads like "I'm" (offsets are unchanged)."""
    return text.translate(_QUOTES)
