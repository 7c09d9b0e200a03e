"""Bad input through the plain-Python parts: language check, input check, ages, prescreen step."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import safety
from bot.nlu import input_check, language
from bot.prescreen import answers
from bot.prescreen import dialogue as prescreen
from bot.prescreen.dialogue import Turn
from bot.prescreen.engine import load_criteria
from bot.prescreen.state import Caregiver, Pending, Phase
from tests.bad_input.strategies import (
    CONTROL,
    EMOJI,
    OTHER_LANGUAGES,
    RTL,
    SPANISH,
    WHITESPACE,
    bad_messages,
    long_text,
)

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(
    max_examples=150, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _english_corpus() -> list[str]:
    """Every English training example and held-out question: none may read as non-English."""
    texts: list[str] = []
    for path in sorted((ROOT / "data" / "nlu").rglob("*.yml")):
        for item in yaml.safe_load(path.read_text())["nlu"]:
            for line in (item.get("examples") or "").splitlines():
                if line.startswith("- "):
                    texts.append(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line[2:]))
    for path in [
        *(ROOT / "tests" / "heldout").glob("*.yml"),
        *(ROOT / "tests" / "nlu").glob("*.yml"),
    ]:
        texts += _texts_in(yaml.safe_load(path.read_text()))
    return texts


def _texts_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for key, v in node.items() if key != "text" for t in _texts_in(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts_in(v)]
    return []


# --- language -----------------------------------------------------------------------------------


def test_english_training_and_heldout_messages_read_as_english() -> None:
    corpus = _english_corpus()
    assert len(corpus) > 1500
    flagged = [(text, language.guess(text)) for text in corpus if not language.is_english(text)]
    assert not flagged, flagged[:20]


@pytest.mark.parametrize(
    "text",
    [
        "My name is Maria de la Cruz",
        "I live in Los Angeles",
        "José García",
        "I take prednisone con methotrexate",
        "I'm from Puerto Rico and I speak Spanish",
        "Jean-Luc de Paris",
        "no",
        "ok",
        "52",
        "stop please",
        "see ya",
    ],
)
def test_english_with_foreign_names_stays_english(text: str) -> None:
    assert language.is_english(text)


@pytest.mark.parametrize("text", SPANISH + OTHER_LANGUAGES + RTL[:4] + ["hola", "no gracias"])
def test_other_languages_are_spotted(text: str) -> None:
    assert not language.is_english(text)
    assert input_check.problem(text) == "non_english"


# --- input check --------------------------------------------------------------------------------


@given(st.lists(st.sampled_from(WHITESPACE + EMOJI + CONTROL), max_size=40).map("".join))
@FAST
def test_no_letters_is_an_empty_message(text: str) -> None:
    assert input_check.problem(text) == "empty_message"


@given(long_text())
@FAST
def test_over_the_cap_is_too_long(text: str) -> None:
    assert input_check.problem(text) == "too_long"


@given(bad_messages())
@FAST
def test_input_check_never_fails(text: str) -> None:
    assert input_check.problem(text) in (*input_check.PROBLEMS, None)


@pytest.mark.parametrize(
    "text",
    ["ayuda, no puedo respirar", "tengo dolor en el pecho", "se me está cerrando la garganta"],
)
def test_spanish_emergencies_are_still_emergencies(text: str) -> None:
    assert safety.classify(text) == "emergency"


@pytest.mark.parametrize("text", ["quiero morir", "ya no quiero vivir", "pienso en suicidarme"])
def test_spanish_crises_are_still_crises(text: str) -> None:
    assert safety.classify(text) == "crisis"


# --- ages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["0", "250", "-3", "I'm 250", "I am -3", "0 years old", "age: 999", "-40", "121"]
)
def test_impossible_ages_are_not_ages(text: str) -> None:
    assert answers.parse_age(text) is None
    assert answers.implausible_age(text)


@pytest.mark.parametrize(
    "text", ["52", "I'm 52", "18", "89", "1972", "no idea", "30-40", "3 months"]
)
def test_possible_ages_and_non_numbers_are_not_implausible(text: str) -> None:
    assert not answers.implausible_age(text)


@pytest.mark.parametrize("text", ["52.5", "5.2", "1,000", "-3", "30-40"])
def test_a_number_is_read_whole(text: str) -> None:
    """Not the 5 of "52.5" or the 3 of "-3": those would be wrong ages."""
    assert answers.parse_age(text) is None


@given(st.text(max_size=60))
@FAST
def test_parse_age_gives_a_possible_age_that_was_typed(text: str) -> None:
    age = answers.parse_age(text)
    if age is not None:
        assert answers.MIN_AGE <= age <= answers.MAX_AGE
        # Any script's digits count ("٥٢" is 52), but only a number the patient typed.
        assert age in [int(number) for number in re.findall(r"\d+", text)]


# --- the prescreen, one turn ----------------------------------------------------------------------


def _state_at(phase: str) -> prescreen.State:
    state = prescreen.new_state(question="" if phase in ("question", "share_question") else None)
    if phase == "share_question":
        state.phase, state.questions = Phase.SHARE_QUESTION, ["is there a placebo?"]
    elif phase != "consent" and phase != "question":
        state.phase = Phase(phase)
    if phase in ("share", "pick", "name", "contact", "best_time", "confirm_stop"):
        state.answers = {"age": 52, "diagnosis": "yes", "biopsy": "yes"}
    if phase == "confirm_stop":
        state.resume = Phase.QUESTIONS
    if phase == "confirm":  # "Just to check: you are 16 years old. Is that right?"
        state.pending = Pending("age", 16)
    if phase == "not_eligible":
        state.answers = {"age": 16}
    if phase == "call_who":
        state.who, state.caregiver = "someone_else", Caregiver(name="Lucia", patient_name="Rosa")
        state.answers = {"age": 74}
    return state


def _at_question(criterion_id: str) -> prescreen.State:
    """A prescreen whose next question is ``criterion_id`` (earlier ones answered to pass)."""
    passing: dict[str, Any] = {"age": 52}
    state = prescreen.new_state()
    state.phase = Phase.QUESTIONS
    for criterion in load_criteria():
        if criterion.id == criterion_id:
            break
        state.answers[criterion.id] = passing.get(criterion.id, "yes")
    assert prescreen.current_question(state).id == criterion_id  # type: ignore[union-attr]
    return state


PHASES = [
    "consent",
    "questions",
    "share",
    "pick",
    "name",
    "contact",
    "best_time",
    "question",
    "share_question",
    "confirm_stop",
    "confirm",
    "not_eligible",
    "call_who",
]
INTENTS = [None, "empty_message", "too_long", "non_english", "faq", "affirm", "deny", "greet"]
KNOWN_PHASES = {*PHASES, "submit", "ended", "stopped", "declined"}


def _check_messages(messages: list[dict[str, Any]], typed: str) -> None:
    """Each message has text, and shows no template slot or markup the patient did not type."""
    for message in messages:
        if "response" in message:
            assert str(message["response"]).startswith("utter_")
            continue
        text = message["text"]
        assert text.strip()
        for slot in re.findall(r"\{\w*\}|\bNone\b", text):
            assert slot in typed, text
        assert "<script" not in text.lower()


@given(st.sampled_from(PHASES), bad_messages(), st.sampled_from(INTENTS))
@settings(
    max_examples=200, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
def test_step_takes_any_message_in_any_phase(phase: str, text: str, intent: str | None) -> None:
    state = _state_at(phase)
    before = copy.deepcopy(state)
    result = prescreen.step(state, Turn(text, intent))
    assert state == before, "step changed its input"
    assert result.state.phase in KNOWN_PHASES
    _check_messages(result.messages, text)
    if not result.finished:
        _check_messages(prescreen.prompt(result.state), text)
    age = result.state.answers.get("age")
    assert age is None or answers.MIN_AGE <= age <= answers.MAX_AGE


@pytest.mark.parametrize("intent", ["empty_message", "too_long", "non_english"])
@given(text=bad_messages())
@settings(
    max_examples=60, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
def test_unreadable_messages_change_no_answer(intent: str, text: str) -> None:
    state = _at_question("biopsy")
    result = prescreen.step(state, Turn(text, intent))
    assert result.state == state
    assert result.messages and all(m.get("text") for m in result.messages)


@given(
    st.integers(min_value=-1000, max_value=1000), st.sampled_from(["{}", "I'm {}", "{} years old"])
)
@FAST
def test_every_typed_age_is_scored_or_checked(number: int, form: str) -> None:
    """18-89 pass, 10-17 and 90-120 are checked, then end kindly; a self-reported age under 10
    (a slip more likely than a child), 0, 250, -3 and the like are asked again."""
    text = form.format(number)
    result = prescreen.step(_at_question("age"), Turn(text))
    texts = " ".join(m.get("text", "") for m in result.messages)
    if 18 <= number <= 89:
        assert result.state.answers["age"] == number
        assert result.state.phase == "questions"
    elif 1 <= number <= 9:
        assert "age" not in result.state.answers and result.state.phase == "questions"
    elif 10 <= number <= 120:
        # Typed, so checked before it ends anything.
        assert result.state.phase == "confirm"
        assert (
            f"Just to check: you are {number} years old"
            in prescreen.prompt(result.state)[0]["text"]
        )
        ended = prescreen.step(result.state, Turn("Yes"))
        assert ended.state.phase == "not_eligible"
        assert "only for adults aged 18 to 89" in " ".join(m["text"] for m in ended.messages)
    else:
        assert "age" not in result.state.answers and result.state.phase == "questions"
        assert texts == prescreen.texts()["check_age"].strip()


@pytest.mark.parametrize("text", ["0", "250", "-3"])
def test_out_of_range_age_gets_please_check_then_goes_on(text: str) -> None:
    state = _at_question("age")
    result = prescreen.step(state, Turn(text))
    assert [m["text"] for m in result.messages] == [
        " ".join(prescreen.texts()["check_age"].split())
    ]
    again = prescreen.step(result.state, Turn("52"))
    assert again.state.answers["age"] == 52


def test_non_english_in_the_prescreen_asks_for_english_and_keeps_the_question() -> None:
    state = _at_question("diagnosis")
    result = prescreen.step(state, Turn("sí, tengo dermatomiositis", "non_english"))
    assert result.state == state
    assert "only read English" in result.messages[0]["text"]
    assert "Question 2 of" in prescreen.prompt(result.state)[0]["text"]


def test_a_question_for_the_team_may_be_in_any_language() -> None:
    state = _state_at("question")
    result = prescreen.step(state, Turn("¿Cuánto tiempo dura el estudio?", "non_english"))
    assert result.state.phase == "share_question"
    assert result.state.questions == ["¿Cuánto tiempo dura el estudio?"]


def test_markup_in_a_question_is_not_echoed() -> None:
    state = _state_at("question")
    result = prescreen.step(state, Turn("Is it safe? <script>alert(1)</script>"))
    shown = prescreen.prompt(result.state)[0]["text"]
    assert "<script>" not in shown and "Is it safe?" in shown
    assert result.state.questions == ["Is it safe? <script>alert(1)</script>"]
