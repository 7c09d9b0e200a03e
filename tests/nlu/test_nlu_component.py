"""The Rasa glue, run through Rasa's own storage, registry and recipe."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import extract as extract_module
from bot.nlu.component import MedicalEntityExtractor
from bot.nlu.lexicon import DEFAULT_LEXICON_PATH

COMPONENT_PATH = "bot.nlu.component.MedicalEntityExtractor"


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalModelStorage, Resource]:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("train_MedicalEntityExtractor0")
    component = MedicalEntityExtractor.create({}, storage, resource, _context())
    returned = component.train(TrainingData())
    assert returned == resource
    return storage, resource


def _process(component: MedicalEntityExtractor, text: str, **data: Any) -> list[dict[str, Any]]:
    message = Message(data={TEXT: text, **data})
    component.process([message])
    return list(message.get(ENTITIES, []))


def test_registered_as_trainable_entity_extractor() -> None:
    registered = DefaultV1Recipe._from_registry(COMPONENT_PATH)
    assert registered.clazz is MedicalEntityExtractor
    assert registered.is_trainable
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types


def test_fits_a_whitespace_tokenizer_pipeline() -> None:
    config = {
        "recipe": "default.v1",
        "language": "en",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": COMPONENT_PATH},
        ],
        "policies": [],
    }
    graphs = DefaultV1Recipe().graph_config_for_recipe(config, {}, TrainingType.NLU)
    ours = MedicalEntityExtractor
    train_nodes = [n for n in graphs.train_schema.nodes.values() if n.uses is ours]
    run_nodes = [n for n in graphs.predict_schema.nodes.values() if n.uses is ours]
    assert [n.fn for n in train_nodes] == ["train"]
    assert [n.fn for n in run_nodes] == ["process"]
    assert run_nodes[0].resource is not None


def test_train_persist_load_process(
    trained: tuple[LocalModelStorage, Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, resource = trained

    def no_rebuild(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("load() must use the stored pipeline, not rebuild it")

    monkeypatch.setattr(extract_module.MedicalExtractor, "build", no_rebuild)
    component = MedicalEntityExtractor.load({}, storage, resource, _context())

    entities = _process(component, "I stopped prednisone last year")
    assert entities == [
        {
            "entity": "medication",
            "start": 10,
            "end": 20,
            "value": "prednisone",
            "role": "systemic_corticosteroid",
            "confidence": 1.0,
            "status": "past",
            "form": None,
            "extractor": "MedicalEntityExtractor",
        },
        {
            "entity": "duration",
            "start": 21,
            "end": 30,
            "value": 365,
            "role": "ago",
            "confidence": 1.0,
            "extractor": "MedicalEntityExtractor",
        },
    ]
    assert _process(component, "I'm 52") == [
        {
            "entity": "age",
            "start": 0,
            "end": 6,
            "value": 52,
            "confidence": 1.0,
            "extractor": "MedicalEntityExtractor",
        }
    ]


def test_keeps_other_extractors_entities_and_skips_button_payloads(
    trained: tuple[LocalModelStorage, Resource],
) -> None:
    storage, resource = trained
    component = MedicalEntityExtractor.load({}, storage, resource, _context())
    other = {"entity": "city", "start": 0, "end": 1, "value": "x", "extractor": "DIET"}
    entities = _process(component, "tacrolimus pills", entities=[other])
    assert entities[0] == other
    assert [(e["value"], e["role"], e["form"]) for e in entities[1:]] == [
        ("tacrolimus", "steroid_sparing", "oral")
    ]
    assert _process(component, '/inform{"age": 52}') == []
    assert _process(component, "   ") == []


def test_entities_option_limits_the_output(trained: tuple[LocalModelStorage, Resource]) -> None:
    storage, resource = trained
    component = MedicalEntityExtractor.load({"entities": ["age"]}, storage, resource, _context())
    assert [e["entity"] for e in _process(component, "I'm 52 and on prednisone")] == ["age"]
    with pytest.raises(ValueError, match="unknown entity types"):
        MedicalEntityExtractor.create({"entities": ["dose"]}, storage, resource, _context())


def test_load_without_stored_pipeline_builds_once(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    component = MedicalEntityExtractor.load({}, storage, Resource("missing"), _context())
    assert [e["value"] for e in _process(component, "on CellCept")] == ["mycophenolate"]


def test_lexicon_changes_change_the_fingerprint(tmp_path: Path) -> None:
    copy = tmp_path / "medications.yml"
    shutil.copy(DEFAULT_LEXICON_PATH, copy)
    before = MedicalEntityExtractor.fingerprint_addon({"lexicon_path": str(copy)})
    copy.write_text(copy.read_text() + "\n# edited\n")
    after = MedicalEntityExtractor.fingerprint_addon({"lexicon_path": str(copy)})
    assert before != after
    assert MedicalEntityExtractor.fingerprint_addon({}) is not None


def test_custom_lexicon_path_is_used(tmp_path: Path) -> None:
    lexicon = tmp_path / "tiny.yml"
    lexicon.write_text(
        "categories: [systemic_corticosteroid, steroid_sparing, topical_corticosteroid,\n"
        "  topical_calcineurin_inhibitor, jak_inhibitor, other]\n"
        "forms: {topical: [cream]}\n"
        "medications:\n"
        "  - {generic: examplumab, category: other, names: [examplumab]}\n"
    )
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    resource = Resource("tiny")
    config = {"lexicon_path": str(lexicon), "fuzzy_matching": False}
    MedicalEntityExtractor.create(config, storage, resource, _context()).train(TrainingData())
    component = MedicalEntityExtractor.load(config, storage, resource, _context())
    values = [e["value"] for e in _process(component, "examplumab and prednisone")]
    assert values == ["examplumab"]
