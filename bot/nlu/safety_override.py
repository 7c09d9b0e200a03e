"""Rasa NLU component: force the safety intent when bot.safety recognises one.

The channels (bot/rasa/channels.py) run the same check first and send only the payload; this is
the second net for any other way into the NLU (the HTTP API's /model/parse, `rasa shell`)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import safety
from bot.nlu.intents import force_intent


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(GraphComponent):
    """Runs last in the NLU pipeline: whatever the classifiers said, the safety layer's kind
    wins. (The NLU has no emergency or crisis examples of its own: the layer alone decides.)"""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyOverride:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if safety.is_payload(text):
                continue  # a button payload, not free text
            kind = safety.classify(text)
            if kind is None:
                continue
            force_intent(message, kind)
        return messages
