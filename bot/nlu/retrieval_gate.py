"""Rasa NLU component: treat a retrieval intent as unclear when its answer choice is unsure.

Rasa's FallbackClassifier looks only at the intent ("faq"), which is nearly always confident;
the ResponseSelector's choice of *which* FAQ answer can still be a guess. Below `threshold`
this component turns the message into `nlu_fallback`, so the assistant asks which topic was
meant (two-stage fallback) instead of giving a confident wrong answer.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

RESPONSE_SELECTOR = "response_selector"
FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RetrievalConfidenceGate(GraphComponent):
    """Place after the ResponseSelectors and FallbackClassifier in config.yml."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.5}

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RetrievalConfidenceGate:
        return cls(float(config["threshold"]))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            selected = (message.get(RESPONSE_SELECTOR) or {}).get(intent.get("name"), {})
            # The topic selector's probability over all topics of both groups, where it gives
            # one; otherwise the response selector's share of its group.
            confidence = selected.get("overall_confidence")
            if confidence is None:
                confidence = (selected.get("response") or {}).get("confidence")
            if confidence is not None and confidence < self.threshold:
                message.set(
                    INTENT, {"name": FALLBACK_INTENT, "confidence": confidence}, add_to_output=True
                )
        return messages
