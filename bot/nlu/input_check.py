"""Messages the assistant cannot read as a question: empty, far too long, or not in English.

``problem(text)`` names the problem, or None for a message to read as usual. The NLU
component bot/nlu/input_guard.py turns a problem into an intent of the same name, so each gets
its own kind reply (domain.yml), in and out of the prescreen.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from bot.nlu import language

Problem = Literal["empty_message", "too_long", "non_english"]
PROBLEMS: tuple[Problem, ...] = ("empty_message", "too_long", "non_english")

# About 170 words: longer than any real question we have seen, and short enough that every
# part of the NLU pipeline answers quickly (spaCy's tokenizer is slow on one very long "word").
MAX_CHARS = 1000


# Terminal colour codes and the like ("\x1b[31m").
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def visible(text: str) -> str:
    """The text without escape codes and control or format characters (NUL, RTL marks)."""
    return "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
        for c in _ESCAPE_SEQUENCE.sub(" ", text)
    )


def has_words(text: str) -> bool:
    """True if the message has at least one letter or digit (not only spaces, emoji, marks)."""
    return any(c.isalnum() for c in text)


def problem(text: str) -> Problem | None:
    """Why the message cannot be read as usual, if it cannot."""
    if len(text) > MAX_CHARS:
        return "too_long"
    shown = visible(text)
    if not has_words(shown):
        return "empty_message"
    if not language.is_english(shown):
        return "non_english"
    return None
