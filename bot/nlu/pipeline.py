"""Build, save and load the spaCy pipeline that finds medication names and form words.

The pipeline is a blank English tokenizer plus an ``entity_ruler`` holding every lexicon
term (label MEDICATION, id = term key) and form word (label FORM, id = form), matched on
lower-cased tokens. An English word list (from ``spacy-lookups-data``) is stored in the
vocab's lookups so that correctly spelt English words are never "corrected" into drug names.
No model is downloaded.
"""

from __future__ import annotations

from collections.abc import Container
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from bot.nlu.lexicon import Lexicon

MEDICATION_LABEL = "MEDICATION"
FORM_LABEL = "FORM"
RULER_NAME = "medication_ruler"
ENGLISH_WORDS_TABLE = "bot_nlu_english_words"
_MIN_ENGLISH_WORD = 5


def build_nlp(lexicon: Lexicon, english_words: bool = True) -> Language:
    """Create the pipeline for ``lexicon`` (done once, at training time)."""
    nlp = spacy.blank("en")
    ruler: Any = nlp.add_pipe(
        "entity_ruler",
        name=RULER_NAME,
        config={"phrase_matcher_attr": "LOWER", "validate": False},
    )
    patterns: list[dict[str, str]] = [
        {"label": MEDICATION_LABEL, "pattern": key, "id": key} for key in sorted(lexicon.terms)
    ]
    patterns += [
        {"label": FORM_LABEL, "pattern": word, "id": form}
        for word, form in sorted(lexicon.forms.items())
    ]
    ruler.add_patterns(patterns)
    if english_words:
        words = _english_words()
        if words:
            nlp.vocab.lookups.add_table(ENGLISH_WORDS_TABLE, {w: 1 for w in sorted(words)})
    return nlp


def english_words(nlp: Language) -> Container[str]:
    """The English word list stored in the pipeline (empty if it was built without one)."""
    if not nlp.vocab.lookups.has_table(ENGLISH_WORDS_TABLE):
        return frozenset()
    table: Container[str] = nlp.vocab.lookups.get_table(ENGLISH_WORDS_TABLE)
    return table


def save_nlp(nlp: Language, path: Path) -> None:
    nlp.to_disk(path)


def load_nlp(path: Path) -> Language:
    return spacy.load(path)


def _english_words() -> set[str]:
    """Lower-case English words of 5+ letters from spacy-lookups-data, if installed."""
    try:
        from spacy.lookups import load_lookups

        lookups = load_lookups("en", ["lemma_lookup", "lemma_index"], strict=False)
    except (ImportError, ValueError, OSError):  # pragma: no cover - optional data
        return set()
    words: set[str] = set()
    if lookups.has_table("lemma_lookup"):
        table = lookups.get_table("lemma_lookup")
        for key, value in table.items():
            words.add(str(key).lower())
            words.add(str(value).lower())
    if lookups.has_table("lemma_index"):
        for values in lookups.get_table("lemma_index").values():
            words.update(str(v).lower() for v in values)
    return {w for w in words if len(w) >= _MIN_ENGLISH_WORD and w.isalpha()}
