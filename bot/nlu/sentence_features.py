"""Rasa 3.6 glue: :class:`SentenceEncoderFeaturizer`, dense sentence features from bot.nlu.encoder.

It adds one 384-number sentence feature (all-MiniLM-L6-v2, mean-pooled) to each message's
text, beside the sparse word and character n-grams, so that DIET and the response selectors
see meaning ("what city is this in" is near "where is the study") and not only shared
letters. It has no sequence features: the sparse featurizers give those. Nothing is trained;
the weights are local files (scripts/install-encoder).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import encoder
from bot.nlu.input_check import MAX_CHARS


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check: the featurizer has no settings of its own."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["transformers", "tokenizers", "tensorflow"]

    def _add(self, messages: list[Message]) -> None:
        # Every message gets the feature, an empty one too (a zero vector): the classifiers
        # expect the same features on every message they read.
        todo = [m for m in messages if m.get(TEXT) is not None]
        if not todo:
            return
        texts = [str(m.get(TEXT))[:MAX_CHARS] for m in todo]
        written = [i for i, text in enumerate(texts) if text.strip()]
        vectors = np.zeros((len(todo), encoder.DIMENSIONS), dtype=np.float32)
        if written:
            vectors[written] = encoder.encode([texts[i] for i in written])
        for message, vector in zip(todo, vectors, strict=True):
            message.add_features(
                Features(
                    np.asarray(vector, dtype=np.float32).reshape(1, -1),
                    FEATURE_TYPE_SENTENCE,
                    TEXT,
                    self._identifier,
                )
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._add(list(training_data.training_examples))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._add(messages)
        return messages
