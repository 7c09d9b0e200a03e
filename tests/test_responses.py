"""Every message a patient can read: plain language, short, and true to the trial's sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat
import yaml

from bot import content

ROOT = Path(__file__).resolve().parents[1]
# The trial's sources, kept in its folder (trials/<id>/FACTS.md and seed-page.txt).
FACTS = tuple(content.trial_dir() / name for name in content.TRIAL_SOURCES)
MAX_GRADE = 8.0


def _responses() -> dict[str, list[dict]]:
    """The domain's responses, and each topic's answer in the trial's answers.yml (read at
    reply time, named here "utter_<topic key>" as the domain would)."""
    found: dict[str, list[dict]] = dict(
        yaml.safe_load((ROOT / "domain.yml").read_text()).get("responses", {})
    )
    answers = yaml.safe_load(content.path("answers").read_text())["answers"]
    found.update({f"utter_{key}": [value] for key, value in answers.items()})
    return found


RESPONSES = _responses()
VARIANTS = [(name, i, v) for name, vs in RESPONSES.items() for i, v in enumerate(vs)]
IDS = [f"{name}[{i}]" for name, i, _ in VARIANTS]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _readable(text: str) -> str:
    # A URL is read as one long "word" by formulas; patients see it as a link.
    return re.sub(r"https?://\S+", "link", text)


def test_there_are_answers_for_every_topic() -> None:
    assert sum(1 for k in RESPONSES if k.startswith("utter_faq/")) >= 25
    assert sum(1 for k in RESPONSES if k.startswith("utter_ask_team/")) >= 10


@pytest.mark.parametrize(("name", "index", "variant"), VARIANTS, ids=IDS)
def test_plain_language(name: str, index: int, variant: dict) -> None:
    grade = textstat.flesch_kincaid_grade(_readable(variant["text"]))
    assert grade <= MAX_GRADE, f"{name} reads at grade {grade}"


@pytest.mark.parametrize(("name", "index", "variant"), VARIANTS, ids=IDS)
def test_short(name: str, index: int, variant: dict) -> None:
    count = len(_sentences(_readable(variant["text"])))
    assert 1 <= count <= 5, f"{name} has {count} sentences"
    if name.startswith(("utter_faq/", "utter_ask_team/")):
        assert count >= 2 or name == "utter_faq/who_runs", f"{name} is too terse"


@pytest.mark.parametrize(("name", "index", "variant"), VARIANTS, ids=IDS)
def test_never_promises_eligibility(name: str, index: int, variant: dict) -> None:
    assert "you are eligible" not in variant["text"].lower()


def test_numbers_come_from_the_sources() -> None:
    """Every number a patient reads (ages, dates, counts, doses) appears in the sources."""
    sources = " ".join(p.read_text() for p in FACTS if p.exists())
    if not sources:
        pytest.skip("shared/trial sources not beside the checkout")
    # And the help lines of the brief: 911, the 988 line, Poison Control (1-800-222-1222).
    allowed = set(re.findall(r"\d+(?:\.\d+)?", sources)) | {"911", "988", "1", "800", "222", "1222"}
    for name, _, variant in VARIANTS:
        text = re.sub(r"https?://\S+", "", variant["text"])
        for number in re.findall(r"\d+(?:\.\d+)?", text):
            assert number in allowed, f"{name} states {number}, not in the trial sources"


def test_safety_answers_say_what_to_do_first() -> None:
    for name in ("utter_emergency", "utter_overdose"):
        assert _sentences(RESPONSES[name][0]["text"])[0].startswith("Call 911 now")
    assert "1-800-222-1222" in RESPONSES["utter_overdose"][0]["text"]
    crisis = RESPONSES["utter_crisis"][0]["text"]
    assert "988" in _sentences(crisis)[0] and "911" in crisis
    assert "prescribed it today" in _sentences(RESPONSES["utter_stopped_medicine"][0]["text"])[0]
