"""Plain-Python entry point: ``extract(text, today)`` -> medications, ages, durations.

:class:`MedicalExtractor` owns the spaCy pipeline and compiled lexicon. Build it once from
the YAML lexicon (:meth:`MedicalExtractor.build`), save it next to a model
(:meth:`to_disk`) and load it back (:meth:`from_disk`); extraction itself never rebuilds.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Container
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from spacy.language import Language

from bot.nlu.ages import find_ages
from bot.nlu.durations import find_durations
from bot.nlu.fuzzy import FuzzyIndex
from bot.nlu.lexicon import DEFAULT_LEXICON_PATH, Lexicon, load_lexicon
from bot.nlu.medications import find_medications
from bot.nlu.pipeline import build_nlp, english_words, load_nlp, save_nlp
from bot.nlu.status import TimeMark
from bot.nlu.text import normalise_quotes
from bot.nlu.types import Extracted

FORMAT_VERSION = 1
_SPACY_DIR = "spacy"
_LEXICON_FILE = "lexicon.json"
_META_FILE = "meta.json"


class MedicalExtractor:
    """Extracts medication, age and duration entities from one message at a time."""

    def __init__(self, nlp: Language, lexicon: Lexicon, fuzzy: bool = True) -> None:
        self.nlp = nlp
        self.lexicon = lexicon
        self.fuzzy_enabled = fuzzy
        self._fuzzy = FuzzyIndex(lexicon.terms) if fuzzy else None
        self._english: Container[str] = english_words(nlp)

    @classmethod
    def build(
        cls, lexicon_path: Path = DEFAULT_LEXICON_PATH, fuzzy: bool = True
    ) -> MedicalExtractor:
        lexicon = load_lexicon(lexicon_path)
        return cls(build_nlp(lexicon), lexicon, fuzzy=fuzzy)

    def to_disk(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        save_nlp(self.nlp, path / _SPACY_DIR)
        (path / _LEXICON_FILE).write_text(self.lexicon.to_json(), encoding="utf-8")
        meta = {"format_version": FORMAT_VERSION, "fuzzy": self.fuzzy_enabled}
        (path / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def from_disk(cls, path: Path) -> MedicalExtractor:
        meta = json.loads((path / _META_FILE).read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported extractor format in {path}: {meta}")
        lexicon = Lexicon.from_json((path / _LEXICON_FILE).read_text(encoding="utf-8"))
        return cls(load_nlp(path / _SPACY_DIR), lexicon, fuzzy=bool(meta.get("fuzzy", True)))

    def extract(self, text: str, today: date | None = None) -> list[Extracted]:
        """All entities in ``text``, ordered by position. ``today`` defaults to date.today()."""
        if not text or not text.strip():
            return []
        today = today or date.today()
        # Same length, so offsets stay valid for the original text.
        doc = self.nlp(normalise_quotes(text))
        ages = find_ages(text, today)
        durations = find_durations(text, today)
        starts = [t.idx for t in doc]
        marks = [
            TimeMark(
                token=max(0, bisect.bisect_right(starts, d.start) - 1),
                kind="since" if d.text.lower().startswith("since") else str(d.role),
            )
            for d in durations
        ]
        meds = [
            replace(e, text=text[e.start : e.end])
            for e in find_medications(doc, self.lexicon, self._fuzzy, self._english, marks)
        ]
        return sorted(meds + ages + durations, key=lambda e: (e.start, e.end))


@lru_cache(maxsize=1)
def default_extractor() -> MedicalExtractor:
    """An extractor built from data/lexicon/medications.yml (once per process)."""
    return MedicalExtractor.build(DEFAULT_LEXICON_PATH)


def extract(text: str, today: date | None = None) -> list[Extracted]:
    """Extract entities with the default extractor; see :meth:`MedicalExtractor.extract`."""
    return default_extractor().extract(text, today)
