"""Rasa NLU component: empty, far too long and non-English messages get their own intent.

Runs last in the pipeline (after SafetyOverride), so an emergency or crisis, however it is
written, keeps its intent. Everything else that bot.nlu.input_check flags becomes the intent
`empty_message`, `too_long` or `non_english` (confidence 1.0), answered by a rule in
data/rules/basics.yml, or by bot.prescreen.dialogue while the prescreen runs.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import safety
from bot.nlu import input_check, language
from bot.nlu.intents import force_intent

# Never replaced: the safety answers must win over "please write in English".
KEEP = safety.KINDS


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class InputGuard(GraphComponent):
    """Place last in config.yml's pipeline."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> InputGuard:
        language.foreign_words()  # load the word lists now, not on the first message
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload, not free text
            if ((message.get(INTENT) or {}).get("name")) in KEEP:
                continue
            found = input_check.problem(text)
            if found is None:
                continue
            force_intent(message, found)
        return messages
