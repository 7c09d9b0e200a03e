"""Hypothesis strategies for the bad input a public chat box gets, and checks on the replies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

WHITESPACE = ["", " ", "   ", "\n", "\t", "\r\n", " \n\t ", "\u00a0", "\u2003", "\u200b", "\ufeff"]
EMOJI = ["😀", "👍", "❤️", "🙏", "😭", "💊", "🧴", "🤒", "👩🏽‍⚕️", "🇺🇸", "✅", "❓", "🔥"]
RTL = [
    "مرحبا، هل هناك دواء وهمي؟",
    "أريد المشاركة في الدراسة",
    "שלום, האם יש פלצבו?",
    "אני רוצה להשתתף במחקר",
    "\u202eis there a placebo?",
    "\u200fhello\u200f",
]
CONTROL = ["\x00", "\x07", "\x08", "\x1b[31m", "\x7f", "\u0085", "\u2028", "\u202e", "\ufffd"]
MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</textarea><svg onload=alert(1)>",
    '"><script>alert(document.cookie)</script>',
    "<b>is there a placebo?</b>",
    "<a href='javascript:alert(1)'>click</a>",
    "{{7*7}} ${7*7} {% debug %}",
    "<!-- comment --> &lt;script&gt;",
]
SQL = [
    "'; DROP TABLE handoffs; --",
    "1 OR 1=1",
    '" OR ""="',
    "admin'--",
    "' UNION SELECT username, password_hash FROM staff_users --",
    "Robert'); DROP TABLE students;--",
]
SPANISH = [
    "hola, ¿puedo participar en el estudio?",
    "¿hay placebo?",
    "Necesito ayuda con mi piel",
    "¿Cuánto tiempo dura el estudio?",
    "la crema es segura para mi hija",
    "quiero hablar con alguien del estudio",
]
OTHER_LANGUAGES = [
    "Bonjour, je voudrais participer à l'étude",
    "Ich möchte an der Studie teilnehmen",
    "Olá, eu quero participar do estudo",
    "Ciao, vorrei partecipare allo studio",
    "你好，我想参加这个研究",
    "Здравствуйте, можно участвовать?",
]
ENGLISH = ["is there a placebo?", "can I join", "hi", "what is this study about", "52", "yes"]


def long_text() -> st.SearchStrategy[str]:
    """Messages of 1,001 to 10,000 characters, from words, one long "word", emoji or markup."""
    chunk = st.sampled_from(
        ["is there a placebo? ", "x", "😀", "a b ", MARKUP[0], "prednisone ", "مرحبا "]
    )
    return st.builds(
        lambda piece, size: (piece * (size // len(piece) + 1))[:size],
        chunk,
        st.integers(min_value=1001, max_value=10_000),
    )


def embedded(parts: Sequence[str]) -> st.SearchStrategy[str]:
    """A bad fragment alone, or around an ordinary English question."""
    return st.builds(
        lambda bad, plain, where: {0: bad, 1: f"{plain} {bad}", 2: f"{bad} {plain}"}[where],
        st.sampled_from(list(parts)),
        st.sampled_from(ENGLISH),
        st.integers(min_value=0, max_value=2),
    )


def bad_messages(include_long: bool = True) -> st.SearchStrategy[str]:
    """Every kind of bad input the issue lists, plus arbitrary Unicode."""
    kinds = [
        st.sampled_from(WHITESPACE),
        st.lists(st.sampled_from(WHITESPACE), max_size=20).map("".join),
        st.lists(st.sampled_from(EMOJI), min_size=1, max_size=30).map("".join),
        embedded(EMOJI),
        st.sampled_from(RTL),
        st.text(alphabet=st.characters(min_codepoint=0x0590, max_codepoint=0x06FF), min_size=1),
        embedded(CONTROL),
        st.lists(st.sampled_from(CONTROL), min_size=1, max_size=10).map("".join),
        embedded(MARKUP),
        embedded(SQL),
        st.sampled_from(SPANISH + OTHER_LANGUAGES),
        st.text(max_size=200),
    ]
    if include_long:
        kinds.append(long_text())
    return st.one_of(kinds)


# What a patient must never see: internals, placeholders, or markup they typed echoed back.
_LEAKS = re.compile(
    r"Traceback|Exception|Error:|\bNone\b|\bnull\b|utter_|action_|[{}]|<script|onerror=|"
    r"javascript:"
)


def reply_problems(reply: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why a reply is not a sane, kind message (empty list when it is)."""
    if not reply:
        return ["no message at all"]
    problems = []
    for message in reply:
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"a message without text: {message!r}")
            continue
        leak = _LEAKS.search(text)
        if leak:
            problems.append(f"shows {leak.group(0)!r}: {text[:200]!r}")
        for button in message.get("buttons") or []:
            if not str(button.get("title", "")).strip():
                problems.append(f"a button without a title: {button!r}")
    return problems
