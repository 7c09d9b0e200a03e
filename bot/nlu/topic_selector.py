"""Rasa 3.6 glue: :class:`TopicSelector`, which FAQ or study-team topic a question is about.

It replaces Rasa's two ResponseSelectors with one logistic regression over every
"faq/<topic>" and "ask_team/<topic>" key (so the two groups compete for a question), on word
and character n-grams plus the sentence encoder's vector (bot.nlu.sentence_features). It
trains in seconds where the response selectors took minutes, and its probabilities are what
the retrieval gate and the mixed-message button read. The output has the ResponseSelector's
shape (`response_selector.faq.response.intent_response_key`, `.ranking`), so the actions and
the fallback read it unchanged; when the classifier said "faq" or "ask_team", the intent
follows the group of the chosen topic.

The regression also learns the intents a question may be instead of a topic (`OTHERS`:
everyday unrelated chat, asking for a person, medical advice), from their own training
examples. They take probability away from the topics when a message is not a study question
("what time does walmart close" must not be read as the study's dates), so an unsure topic
is asked about rather than answered. When the classifier read the message as one of these
intents or a topic, and the regression is sure (`sure`) of its own reading among them, the
regression's reading wins: it is trained on those examples alone, with the encoder's sense
of meaning ("Can this make my hands look normal again?" is the expected benefit, not advice).
"""

from __future__ import annotations

import logging
import pickle
import re
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.nlu import encoder
from bot.nlu.encoder import DIMENSIONS
from bot.nlu.intents import force_intent

logger = logging.getLogger(__name__)

GROUPS = ("faq", "ask_team")
STORY = "share_story"
# Intents that compete with the topics in the regression (see the module's docstring), and
# the intents a topic question may have been read as, which one of them may replace.
OTHERS = ("out_of_scope", "talk_to_person", "medical_advice")
REPLACES = {*GROUPS, *OTHERS, STORY, "nlu_fallback"}
RANKING_LENGTH = 10
FILE = "topic_selector.pkl"


_QUESTION_WORDS = (
    r"(?:is|are|do|does|did|can|could|will|would|should|what|whats|how|when|where|who|why|"
    r"which|has|have|any)\b"
)
# Sentences, lines, and clauses after a comma or semicolon that start a new question.
_PARTS = re.compile(
    rf"(?<=[.?!])\s+|\n+|[;,]\s*(?=(?:and |but |also |so )*{_QUESTION_WORDS})", re.I
)
_LEAD = re.compile(r"^(?:and|but|also|so|ok|okay|well)\b[\s,]*", re.I)
_QUESTION = re.compile(rf"\?\s*$|^{_QUESTION_WORDS}", re.I)


def asks(text: str) -> bool:
    """The message reads as a question: a question mark, or it starts with a question word
    ("has the fda ok'd it for DM yet", "do i qualify if ive been on prednisone ...")."""
    return "?" in text or bool(_QUESTION.search(text.strip()))


def question_parts(text: str) -> list[str]:
    """The questions of a message with more than one sentence or clause."""
    parts = []
    for part in _PARTS.split(text):
        part = part.strip()
        while _LEAD.match(part):
            part = _LEAD.sub("", part, count=1).strip()
        if len(part.split()) >= 2 and _QUESTION.search(part):
            parts.append(part)
    return parts


def _dense(message: Message) -> np.ndarray:
    """The sentence encoder's vector for the message (zeros if there is none)."""
    for feature in message.features:
        if (
            feature.type == FEATURE_TYPE_SENTENCE
            and feature.attribute == TEXT
            and not feature.is_sparse()
            and feature.features.shape[-1] == DIMENSIONS
        ):
            return np.asarray(feature.features, dtype=np.float32).reshape(-1)
    return np.zeros(DIMENSIONS, dtype=np.float32)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TopicSelector(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # C: inverse regularisation; dense_weight: how much the encoder's vector counts beside
        # the n-grams (both chosen by cross-validation on the training data, `make nlu-cv`).
        # sure: the regression's probability above which its reading decides (see above).
        # rescue: when the classifier is unsure of any reading (below `unsure`, where the
        # fallback would ask anyway) and the message asks something, a topic this sure is
        # answered ("Why do the doctors think this might help when nothing else has?" read
        # 0.32 as "why do you ask?"). first_sure: in a message with several questions, the
        # first one decides when it is this sure (the later ones are offered as buttons).
        return {
            "C": 20.0,
            "dense_weight": 2.0,
            "sure": 0.5,
            "rescue": 0.8,
            "unsure": 0.5,
            "first_sure": 0.8,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        fitted: dict[str, Any] | None = None,
    ) -> None:
        # A model trained before a setting existed has none stored: the default applies.
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._fitted = fitted

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TopicSelector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TopicSelector:
        try:
            with model_storage.read_from(resource) as directory:
                fitted = pickle.loads((directory / FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            logger.warning("TopicSelector: no trained model found; topics are not chosen")
            fitted = None
        return cls(config, model_storage, resource, fitted)

    def _features(self, fitted: dict[str, Any], texts: list[str], vectors: np.ndarray) -> Any:
        dense = vectors * float(self._config["dense_weight"])
        return hstack(
            [fitted["words"].transform(texts), fitted["chars"].transform(texts), csr_matrix(dense)]
        ).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            m
            for m in training_data.intent_examples
            if (m.get(INTENT) in GROUPS and m.get(INTENT_RESPONSE_KEY)) or m.get(INTENT) in OTHERS
        ]
        labels = [str(m.get(INTENT_RESPONSE_KEY) or m.get(INTENT)) for m in examples]
        texts = [str(m.get(TEXT) or "") for m in examples]
        fitted: dict[str, Any] = {
            "words": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts),
            "chars": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(
                texts
            ),
        }
        model = LogisticRegression(C=float(self._config["C"]), max_iter=5000)
        vectors = np.vstack([_dense(m) for m in examples])
        fitted["model"] = model.fit(self._features(fitted, texts, vectors), labels)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILE).write_bytes(pickle.dumps(fitted))
        self._fitted = fitted
        return self._resource

    def _probabilities(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        fitted = self._fitted
        assert fitted is not None
        return np.asarray(fitted["model"].predict_proba(self._features(fitted, texts, vectors)))

    def _scores(self, message: Message) -> tuple[np.ndarray, list[np.ndarray]]:
        """Topic probabilities for the whole message, and for each question in it when it has
        more than one part ("I've had DM for years... Is there a placebo?", "is there a
        placebo, and also does it cost anything?")."""
        text = str(message.get(TEXT) or "")
        whole = self._probabilities([text], _dense(message).reshape(1, -1))[0]
        questions = question_parts(text)
        if len(questions) < 1 or questions == [text.strip()]:
            return whole, []
        per_question = self._probabilities(questions, encoder.encode(questions))
        return whole, list(per_question)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._fitted is None:
            return messages
        keys = [str(k) for k in self._fitted["model"].classes_]
        for message in messages:
            if not message.get(TEXT):
                continue
            whole, per_question = self._scores(message)
            parts = question_parts(str(message.get(TEXT)))
            probabilities = self._deciding(whole, per_question, keys, parts)
            order = np.argsort(-probabilities)
            output: dict[str, Any] = {"all_retrieval_intents": list(GROUPS)}
            for group in GROUPS:
                ranked = [i for i in order if keys[i].startswith(f"{group}/")]
                total = float(sum(probabilities[i] for i in ranked)) or 1.0
                best = ranked[0]
                output[group] = {
                    "response": {
                        "responses": None,
                        # The share of its group, as a ResponseSelector would report it.
                        "confidence": float(probabilities[best]) / total,
                        "intent_response_key": keys[best],
                        "utter_action": f"utter_{keys[best]}",
                    },
                    "ranking": [
                        {
                            "confidence": float(probabilities[i]) / total,
                            "intent_response_key": keys[i],
                        }
                        for i in ranked[:RANKING_LENGTH]
                    ],
                    # Over all topics of both groups: how sure the choice is overall.
                    "overall_confidence": float(probabilities[best]),
                }
            # Each question's own best topic, for a mixed message's second-topic button.
            topics = [i for i, key in enumerate(keys) if "/" in key]
            output["questions"] = [
                {
                    "intent_response_key": keys[topics[int(p[topics].argmax())]],
                    "confidence": float(p[topics].max()),
                }
                for p in per_question
            ]
            message.set("response_selector", output, add_to_output=True)
            best, sure = keys[int(order[0])], float(probabilities[order[0]])
            intent = (message.get(INTENT) or {}).get("name")
            # A story without a question keeps its kind acknowledgement.
            story = intent == STORY and not per_question and not asks(str(message.get(TEXT)))
            if intent in REPLACES and not story and sure >= float(self._config["sure"]):
                self._to_reading(message, best.split("/")[0], sure)
            elif self._rescues(message, best, sure):
                self._to_reading(message, best.split("/")[0], sure)
            elif best not in OTHERS:
                self._follow_topic(message, best.split("/")[0], bool(per_question))
        return messages

    def _deciding(
        self,
        whole: np.ndarray,
        per_question: list[np.ndarray],
        keys: list[str],
        parts: list[str] | None = None,
    ) -> np.ndarray:
        """A long message is about its questions: the best-read question decides, unless the
        whole message is read more surely. With two or more questions, the first decides when
        it is sure of a topic and ends with its own question mark: "do I have to come off these?
        also how long is the study" asks about the medicines first, and the timeline is offered
        as a button; "where exactly is it, which building" is one question, the surer part
        decides."""
        closed = bool(parts and parts[0].rstrip().endswith("?"))
        if len(per_question) >= 2 and closed:
            first = per_question[0]
            top = int(first.argmax())
            if "/" in keys[top] and float(first[top]) >= float(self._config["first_sure"]):
                return first
        return max([whole, *per_question], key=lambda p: float(p.max()))

    def _rescues(self, message: Message, best: str, sure: float) -> bool:
        """The classifier is unsure of every reading, the message asks something, and the
        regression is sure of a topic: answer it rather than ask which topic was meant."""
        if "/" not in best or sure < float(self._config["rescue"]):
            return False
        text = str(message.get(TEXT) or "")
        said = float((message.get(INTENT) or {}).get("confidence") or 0.0)
        return (
            not text.startswith("/")
            and said < float(self._config["unsure"])
            and asks(text)
            and len(text.split()) >= 3
        )

    @staticmethod
    def _to_reading(message: Message, name: str, probability: float) -> None:
        """The regression's sure reading (a topic group, or one of OTHERS) becomes the intent,
        as sure as the classifier or the regression is of it."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        said = max(
            (float(r.get("confidence") or 0) for r in ranking if r.get("name") == name), default=0.0
        )
        force_intent(message, name, max(probability, said), drop=tuple(REPLACES))

    @staticmethod
    def _follow_topic(message: Message, group: str, parts: bool) -> None:
        """When the classifier's belief is mostly "a topic question" (faq and ask_team
        together), the intent is the chosen topic's group, with their summed confidence:
        "can this give me cancer" split 0.41 ask_team / 0.18 faq is a confident question
        about serious risks, not an unclear message. A story that ends in a question ("I was
        diagnosed as a teenager... Could I still be accepted?") is a question too."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        intent = (message.get(INTENT) or {}).get("name")
        if intent == STORY and (parts or asks(str(message.get(TEXT) or ""))):
            selected = (message.get("response_selector") or {}).get(group) or {}
            force_intent(message, group, float(selected.get("overall_confidence") or 0.0))
            return
        mass = sum(float(r.get("confidence") or 0) for r in ranking if r.get("name") in GROUPS)
        others = [float(r.get("confidence") or 0) for r in ranking if r.get("name") not in GROUPS]
        if mass <= max(others, default=0.0):
            return
        force_intent(message, group, mass, drop=GROUPS)
