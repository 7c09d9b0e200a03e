"""Is a message written in English? A small offline check for the "English only" reply.

The assistant answers in English only. A message in another language should get a kind
"I can only answer in English" instead of a wrong FAQ answer picked from a few look-alike
words. No model is downloaded: the check counts words that are common in other languages
(spaCy's bundled stop-word lists, plus a few greetings in bot/content/languages.yml) but are
not English words (spaCy's English stop words and the English word list of
spacy-lookups-data). A message mostly in a non-Latin script (Arabic, Hebrew, Chinese,
Cyrillic, ...) is not English either.

It is deliberately cautious: a name ("Maria de la Cruz"), a brand or one foreign word in an
English sentence stays English, so a patient writing English is never told to write English.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from bot import content

# spaCy 3.4 bundles these stop-word lists (spacy/lang/<code>/stop_words.py): no download.
LANGUAGES = ("es", "fr", "de", "pt", "it", "nl")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Spanish opening marks: "¿hay placebo?" is Spanish however few words it has.
_SPANISH_MARKS = ("\u00bf", "\u00a1")


def stop_words(code: str) -> set[str]:
    """spaCy's bundled stop words for a language.

    Read from spacy/lang/<code>/stop_words.py alone (a plain word list): importing the
    language package would also build its tokenizer rules, about a second per language.
    """
    import spacy

    path = Path(spacy.__file__).parent / "lang" / code / "stop_words.py"
    spec = importlib.util.spec_from_file_location(f"_stop_words_{code}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - spaCy's layout changed
        raise ImportError(f"no stop-word list for {code!r} at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.STOP_WORDS)


@cache
def english_vocabulary() -> frozenset[str]:
    """English stop words, word forms (spacy-lookups-data) and listed words, lower-case.

    Reads spacy-lookups-data once per process (a tenth of a second, once spaCy is imported).
    """
    from spacy.lookups import load_lookups

    words: set[str] = {w.lower() for w in stop_words("en")}
    lookups = load_lookups("en", ["lemma_lookup", "lemma_index"], strict=False)
    if lookups.has_table("lemma_lookup"):
        for key, value in lookups.get_table("lemma_lookup").items():
            words.update((str(key).lower(), str(value).lower()))
    if lookups.has_table("lemma_index"):
        for values in lookups.get_table("lemma_index").values():
            words.update(str(v).lower() for v in values)
    words.update(w.lower() for w in content.load("languages")["english"])
    return frozenset(words - _all_function_words())


def _all_function_words() -> set[str]:
    listed: Mapping[str, list[str]] = content.load("languages")["function_words"]
    return {w.lower() for words in listed.values() for w in words}


@cache
def foreign_words() -> Mapping[str, frozenset[str]]:
    """Per language: its function words, and its common words that are not English words."""
    english = english_vocabulary()
    data = content.load("languages")
    found: dict[str, frozenset[str]] = {}
    for code in LANGUAGES:
        common = {w.lower() for w in stop_words(code)}
        common.update(w.lower() for w in data["common"].get(code, []))
        marked = {w.lower() for w in data["function_words"].get(code, [])}
        found[code] = frozenset(
            w for w in common | marked if len(w) > 1 and (w in marked or w not in english)
        )
    return found


def _latin_share(text: str) -> tuple[int, float]:
    """How many letters the text has, and the share of them in the Latin script."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0, 1.0
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    return len(letters), latin / len(letters)


def guess(text: str) -> str | None:
    """The language a message is clearly written in, if not English; None for English.

    Returns an ISO 639-1 code ("es", "fr", ...) or "other" (a non-Latin script). None also
    when the message is too short or too mixed to tell: the assistant then treats it as
    English, as it always has.
    """
    letters, latin = _latin_share(text)
    if letters >= 2 and latin < 0.5:
        return "other"
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    english = english_vocabulary()
    english_count = sum(1 for w in words if w in english)
    scores = {
        code: sum(1 for w in words if w in vocabulary)
        for code, vocabulary in foreign_words().items()
    }
    if any(mark in text for mark in _SPANISH_MARKS):
        return "es"
    code, best = max(scores.items(), key=lambda item: item[1])
    # Two or more foreign words, and more of them than English words; or a one- or two-word
    # message ("hola", "no gracias") with at least as many foreign words as English ones.
    if best >= 2 and best > english_count:
        return code
    if best >= 1 and len(words) <= 2 and best >= english_count:
        return code
    return None


def is_english(text: str) -> bool:
    """True unless the message is clearly in another language (see :func:`guess`)."""
    return guess(text) is None
