"""Rasa NLU component: a question about the person's own treatment is medical advice.

Runs after the classifiers and response selectors, before the fallback: when bot.nlu.advice
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
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import advice
from bot.nlu.intents import force_intent

ADVICE_INTENT = "medical_advice"
# Only messages the classifier took for a question; a prescreen answer ("yes", "52") or a
# payload is left alone.
# How sure the topic choice must be to answer a study-rules question the classifier took for
# medical advice.
STUDY_RULE_MIN = 0.5
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
            if advice.asks_for_advice(text):
                # The readings it overrides leave the ranking: a topic forced to 1.0 beside it
                # would make the fallback call the message ambiguous ("what dose of prednisone
                # is right for me, and is there a placebo" asked which one was meant).
                force_intent(message, ADVICE_INTENT, drop=tuple(ROUTED_FROM))
            elif intent == ADVICE_INTENT and advice.about_study_rules(text):
                # The classifier's guess, but the words ask what the study allows ("can I keep
                # using my tacrolimus ointment during the trial?"): the FAQ answers that, and
                # its answer also says to ask one's doctor before changing anything.
                self._to_topic(message)
        return messages

    @staticmethod
    def _to_topic(message: Message) -> None:
        selectors = message.get("response_selector") or {}
        best = max(
            (s for s in selectors.values() if isinstance(s, dict) and "overall_confidence" in s),
            key=lambda s: float(s["overall_confidence"]),
            default=None,
        )
        if best is not None and float(best["overall_confidence"]) >= STUDY_RULE_MIN:
            group = str(best["response"]["intent_response_key"]).split("/")[0]
            force_intent(message, group, float(best["overall_confidence"]))
