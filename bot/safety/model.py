"""A small classifier for safety messages that the reviewed patterns do not name.

Features: word 1-2-grams and character 2-5-grams (TF-IDF), which catch misspellings and exact
wording, beside the 384-number sentence vector of the pretrained encoder (bot/nlu/encoder.py),
which gives meaning ("I won't be a burden much longer" is near "better off without me").
One logistic regression over both, trained on our own examples in data/safety/train.yml plus,
as "ordinary", every other example of the assistant's NLU data (data/nlu/, recursively) and
the text of every button a patient can press.

Trained when first used, deterministic, no download. The training texts' vectors are kept on
disk (ENCODER_CACHE_DIR, default var/cache/, one row per text keyed by a hash of the text), so
a start only encodes texts it has not seen; training then takes about 3 s. A message's vector
is the one the NLU's featurizer asks for (the same string, `text[:MAX_CHARS]`), so the
encoder's recent-texts cache serves it once for both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot import content
from bot.nlu import encoder
from bot.nlu.input_check import MAX_CHARS
from bot.ops.settings import Settings
from bot.safety import patterns

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = ROOT / "data" / "safety"
NLU_DIR = ROOT / "data" / "nlu"
CONTENT_DIR = ROOT / "bot" / "content"
LABELS = ("emergency", "overdose", "crisis", "stopped_medicine", "ordinary")
# The labels that need 911 or 988 first.
ALARMS = ("emergency", "overdose", "crisis")
# Read when the Rasa server's components import this (Rasa starts them, not our code).
CACHE_DIR = Settings.from_env().encoder_cache_dir
# The sentence vector's weight beside the TF-IDF features (each block has length 1 per text).
ENCODER_WEIGHT = 1.5
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
    trial = [content.path(name) for name in content.TRIAL_FILES]
    files = [ROOT / "domain.yml", *sorted(CONTENT_DIR.glob("*.yml")), *trial]
    found = (_button_texts(yaml.safe_load(f.read_text(encoding="utf-8"))) for f in files)
    return sorted({text for texts in found for text in texts})


def training_examples() -> list[tuple[str, str]]:
    """(text, label) pairs: our safety examples (every file of data/safety/), the NLU data's,
    and the buttons."""
    examples: list[tuple[str, str]] = []
    for path in sorted(TRAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for label in LABELS:
            for text in data.get(label) or []:
                if not isinstance(text, str):  # "- Patient: ..." unquoted is a mapping
                    raise ValueError(f"{path.name}: {label}: not a string: {text!r}")
                examples.append((text, label))
    examples.extend(_nlu_examples())
    examples.extend((text, "ordinary") for text in button_examples())
    return examples


@dataclass(frozen=True)
class Scores:
    """The classifier's probability for each label."""

    by_label: dict[str, float]

    @property
    def alarm(self) -> tuple[str, float]:
        """The most likely safety label, and the probability that the message is one of the
        safety labels at all ("gouging my skin on purpose": crisis 0.48, emergency 0.46)."""
        label = max(ALARMS, key=lambda k: self.by_label[k])
        return label, sum(self.by_label[k] for k in ALARMS)

    @property
    def stopped(self) -> float:
        """The probability that the message tells of stopping a medicine on one's own."""
        return self.by_label.get("stopped_medicine", 0.0)


def encoded(text: str) -> str:
    """The string the encoder reads for a message: the same as the NLU featurizer's."""
    return text[:MAX_CHARS]


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def training_vectors(texts: list[str], folder: Path = CACHE_DIR) -> np.ndarray:
    """The encoder's vectors of the training texts: from the cache on disk, encoding (in
    batches) only the texts it does not hold, then saving the whole set back."""
    path = folder / f"safety-vectors-{encoder.DIMENSIONS}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        try:
            with np.load(path) as stored:
                known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            known = {}  # a damaged cache is rebuilt
    keys = [_key(encoded(t)) for t in texts]
    todo = {k: encoded(t) for k, t in zip(keys, texts, strict=True) if k not in known}
    missing = sorted(todo.items())
    if missing:
        vectors = encoder.shared().encode([t for _, t in missing])
        known.update((k, v) for (k, _), v in zip(missing, vectors, strict=True))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            wanted = sorted(set(keys))
            partial = path.with_suffix(".tmp.npz")
            np.savez(partial, keys=np.array(wanted), vectors=np.stack([known[k] for k in wanted]))
            partial.replace(path)
        except OSError:
            pass  # a read-only checkout: encode again next time
    return np.stack([known[k] for k in keys]).astype(np.float32)


class Classifier:
    def __init__(self, examples: list[tuple[str, str]]) -> None:
        self.features = FeatureUnion(
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
        self.model = LogisticRegression(C=8.0, class_weight="balanced", max_iter=3000)
        texts = [text for text, _ in examples]
        sparse_part = self.features.fit_transform([prepare(t) for t in texts])
        dense_part = training_vectors(texts)
        self.model.fit(self._join(sparse_part, dense_part), [label for _, label in examples])
        self.labels = [str(c) for c in self.model.classes_]
        # The weights of each block, to score one message without building the joined row.
        width = sparse_part.shape[1]
        self._sparse_weights = np.ascontiguousarray(self.model.coef_[:, :width].T)
        self._dense_weights = self.model.coef_[:, width:].T * ENCODER_WEIGHT
        self._bias = self.model.intercept_

    @staticmethod
    def _join(sparse_part: sparse.spmatrix, dense_part: np.ndarray) -> sparse.csr_matrix:
        return sparse.hstack([sparse_part, sparse.csr_matrix(dense_part * ENCODER_WEIGHT)]).tocsr()

    def scores(self, text: str, message: str | None = None) -> Scores:
        """Probabilities for `text`; `message`, if given, is the message as the channel got
        it, which the encoder reads (as the NLU's featurizer does)."""
        vector = encoder.encode([encoded(text if message is None else message)])
        return self._scored([text], vector)[0]

    def scores_many(self, texts: list[str]) -> list[Scores]:
        """Probabilities for several texts (the parts of one message), with one encoder pass."""
        if not texts:
            return []
        return self._scored(texts, encoder.encode([encoded(t) for t in texts]))

    def _scored(self, texts: list[str], vectors: np.ndarray) -> list[Scores]:
        words = self.features.transform([prepare(t) for t in texts])
        logits = np.asarray(words @ self._sparse_weights) + vectors @ self._dense_weights
        logits = logits + self._bias
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))  # softmax per row
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return [
            Scores(dict(zip(self.labels, (float(p) for p in row), strict=True)))
            for row in probabilities
        ]


@cache
def classifier() -> Classifier:
    return Classifier(training_examples())
