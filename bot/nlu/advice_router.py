"""Rasa NLU component: a question about the person's own treatment is medical advice.

Runs after the classifiers and response selectors, before the fallback: when bot.advice
recognises "should i stop taking my plaquenil" or "is my rash lupus", the intent becomes
`medical_advice` whatever FAQ topic it also names. The response selectors' choices stay in
the output, so the answer can offer that study topic as a button.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import advice

ADVICE_INTENT = "medical_advice"
# Only messages the classifier took for a question; a prescreen answer ("yes", "52") or a
# payload is left alone.
ROUTED_FROM = {"faq", "ask_team", "nlu_fallback", "out_of_scope", "share_story", ADVICE_INTENT}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MedicalAdviceRouter(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MedicalAdviceRouter:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = str(message.get(TEXT) or "")
            intent = (message.get(INTENT) or {}).get("name")
            if text.startswith("/") or intent not in ROUTED_FROM:
                continue
            if not advice.asks_for_advice(text):
                continue
            chosen = {"name": ADVICE_INTENT, "confidence": 1.0}
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != ADVICE_INTENT
            ]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages
