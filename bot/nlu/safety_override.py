"""Rasa NLU component: force the safety intent when bot.safety recognises one.

The channels (bot/channels.py) run the same check first and send only the payload; this is
the second net for any other way into the NLU (the HTTP API's /model/parse, `rasa shell`)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import safety


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(GraphComponent):
    """Runs last in the NLU pipeline, so no classifier or fallback can hide an emergency.

    The reviewed patterns always win. The classifier alone may also say "emergency", but only
    above `min_classifier_emergency`: a rash described as "red and itchy" is not one. (A
    classifier-only "crisis" is always kept: a needless 988 line costs little.)
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_classifier_emergency": 0.7}

    def __init__(self, min_classifier_emergency: float) -> None:
        self.min_classifier_emergency = min_classifier_emergency

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyOverride:
        return cls(float(config["min_classifier_emergency"]))

    def _demote_weak_emergency(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        if intent.get("name") != "emergency":
            return
        if float(intent.get("confidence") or 0.0) >= self.min_classifier_emergency:
            return
        # Unsure: let the two-stage fallback ask (or, in the prescreen, read it as an answer).
        fallback = {"name": "nlu_fallback", "confidence": float(intent.get("confidence") or 0.0)}
        message.set(INTENT, fallback, add_to_output=True)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload, not free text
            kind = safety.classify(text)
            if kind is None:
                self._demote_weak_emergency(message)
                continue
            intent = {"name": kind, "confidence": 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != kind]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages
