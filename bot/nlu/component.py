"""Rasa 3.6 glue: :class:`MedicalEntityExtractor`, a trainable entity extractor.

config.yml::

    pipeline:
      - name: WhitespaceTokenizer
      # ...
      - name: bot.nlu.component.MedicalEntityExtractor
        # lexicon_path: data/lexicon/medications.yml   (default: the repo lexicon)
        # fuzzy_matching: true
        # entities: [medication, age, duration]

At ``rasa train`` the spaCy pipeline and compiled lexicon are built once and stored in the
model; ``load`` reads them back, so nothing is rebuilt per message. The component runs its
own tokenizer on the message text and does not use Rasa's tokens or features.

Entities added to the message (and so to the tracker), besides start/end/confidence/extractor:

* ``medication``: value = generic name, role = category, ``status`` (current / past / never /
  None), ``form`` (topical / oral / injection / infusion / None).
* ``age``: value = years (int).
* ``duration``: value = days (int), role = ``ago`` or ``for``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.extract import FORMAT_VERSION, MedicalExtractor
from bot.nlu.input_check import MAX_CHARS
from bot.nlu.lexicon import DEFAULT_LEXICON_PATH
from bot.nlu.types import Extracted

logger = logging.getLogger(__name__)

ENTITY_TYPES = ("medication", "age", "duration")
_INTENT_PREFIX = "/"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class MedicalEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts medications (with category and status), ages and durations."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # YAML lexicon; relative paths are resolved against the working directory.
            "lexicon_path": None,
            # Match misspelt drug names ("plaquinel", "metotrexate").
            "fuzzy_matching": True,
            # Entity types to emit.
            "entities": list(ENTITY_TYPES),
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["en"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the lexicon file changes (it is not a graph input)."""
        path = _lexicon_path(config)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
        return f"{FORMAT_VERSION}:{digest}"

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        extractor: MedicalExtractor | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        unknown = set(self._config["entities"]) - set(ENTITY_TYPES)
        if unknown:
            raise ValueError(f"{self.name}: unknown entity types {sorted(unknown)}")
        self._model_storage = model_storage
        self._resource = resource
        self._extractor = extractor
        self._wanted = frozenset(self._config["entities"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MedicalEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Build the spaCy pipeline from the lexicon and store it with the model."""
        self._extractor = self._build()
        self.persist()
        return self._resource

    def persist(self) -> None:
        if self._extractor is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            self._extractor.to_disk(Path(directory))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MedicalEntityExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                extractor = MedicalExtractor.from_disk(Path(directory))
        except (ValueError, FileNotFoundError, OSError) as error:
            logger.warning(
                "%s: no stored pipeline (%s); building it from the lexicon.",
                cls.__name__,
                type(error).__name__,
            )
            component = cls(config, model_storage, resource)
            component._extractor = component._build()
            return component
        return cls(config, model_storage, resource, extractor)

    def process(self, messages: list[Message]) -> list[Message]:
        """Append the extracted entities to each message."""
        if self._extractor is None:  # created but never trained: build once
            self._extractor = self._build()
        today = date.today()
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip() or text.startswith(_INTENT_PREFIX):
                continue  # "/intent{...}" button payloads are parsed by RegexMessageHandler
            if len(text) > MAX_CHARS:
                # The patient is asked to say it in a few words (bot.nlu.input_guard); and
                # spaCy's tokenizer takes seconds on one very long "word" (10,000 emoji).
                continue
            found = [e for e in self._extractor.extract(text, today) if e.entity in self._wanted]
            if not found:
                continue
            entities = self.add_extractor_name([to_rasa_entity(e) for e in found])
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages

    def _build(self) -> MedicalExtractor:
        return MedicalExtractor.build(
            _lexicon_path(self._config), fuzzy=bool(self._config["fuzzy_matching"])
        )


def to_rasa_entity(item: Extracted) -> dict[str, Any]:
    """The Rasa entity dict for one extracted item (extractor name is added by Rasa's mixin)."""
    entity: dict[str, Any] = {
        "entity": item.entity,
        "start": item.start,
        "end": item.end,
        "value": item.value,
        "confidence": item.confidence,
    }
    if item.role is not None:
        entity["role"] = item.role
    if item.entity == "medication":
        entity["status"] = item.status
        entity["form"] = item.form
    return entity


def _lexicon_path(config: dict[str, Any]) -> Path:
    configured = config.get("lexicon_path")
    return Path(configured) if configured else DEFAULT_LEXICON_PATH
