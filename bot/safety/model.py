"""A small classifier for safety messages that the reviewed patterns do not name.

Word 1-2-grams and character 2-5-grams (TF-IDF) into a logistic regression, trained on our own
examples in data/safety/train.yml plus, as "ordinary", every other example of the assistant's
NLU data (data/nlu/*.yml) and the text of every button a patient can press. Trained when
first used (about 2 s), deterministic, no download; a prediction takes about 1 ms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.safety import patterns

ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILE = ROOT / "data" / "safety" / "train.yml"
NLU_DIR = ROOT / "data" / "nlu"
CONTENT_DIR = ROOT / "bot" / "content"
LABELS = ("emergency", "overdose", "crisis", "ordinary")
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def prepare(text: str) -> str:
    """What the classifier reads: the normalised text without everyday idioms."""
    return patterns.without_idioms(patterns.normalise(text))


def _nlu_examples() -> Iterator[tuple[str, str]]:
    for path in sorted(NLU_DIR.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            intent = item.get("intent")
            if not intent or "examples" not in item:
                continue
            for line in str(item["examples"]).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line[2:]), "ordinary"


def _button_texts(node: object) -> Iterator[str]:
    """Every button a patient can press sends its title or payload as text ("No, keep
    going"): found under any `buttons` or `choices` key of the domain and the content files."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("buttons", "choices"):
                yield from _strings(value)
            else:
                yield from _button_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _button_texts(value)


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        if not node.startswith("/"):
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def button_examples() -> list[str]:
    files = [ROOT / "domain.yml", *sorted(CONTENT_DIR.glob("*.yml"))]
    found = (_button_texts(yaml.safe_load(f.read_text(encoding="utf-8"))) for f in files)
    return sorted({text for texts in found for text in texts})


def training_examples() -> list[tuple[str, str]]:
    """(text, label) pairs: our safety examples, the NLU data's, and the buttons."""
    data = yaml.safe_load(TRAIN_FILE.read_text(encoding="utf-8"))
    examples = [(str(text), label) for label in LABELS for text in data.get(label) or []]
    examples.extend(_nlu_examples())
    examples.extend((text, "ordinary") for text in button_examples())
    return examples


@dataclass(frozen=True)
class Scores:
    """The classifier's probability for each label."""

    by_label: dict[str, float]

    @property
    def alarm(self) -> tuple[str, float]:
        """The most likely safety label and its probability."""
        label = max(("emergency", "overdose", "crisis"), key=lambda k: self.by_label[k])
        return label, self.by_label[label]


class Classifier:
    def __init__(self, examples: list[tuple[str, str]]) -> None:
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                    ),
                ),
            ]
        )
        self.pipeline = Pipeline(
            [
                ("features", features),
                (
                    "model",
                    LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000),
                ),
            ]
        )
        texts = [prepare(text) for text, _ in examples]
        self.pipeline.fit(texts, [label for _, label in examples])
        self.labels = [str(c) for c in self.pipeline.classes_]

    def scores(self, text: str) -> Scores:
        probabilities = self.pipeline.predict_proba([prepare(text)])[0]
        return Scores(dict(zip(self.labels, (float(p) for p in probabilities), strict=True)))


@cache
def classifier() -> Classifier:
    return Classifier(training_examples())
