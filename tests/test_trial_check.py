"""`python -m bot trial check`: a good folder passes; one planted mistake in each file of a
trial folder is named by file and field."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.prescreen import reading
from bot.trial import check as trial_check

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [
    ROOT / "trials" / "nct06857240",
    ROOT / "tests" / "fixtures" / "trials" / "demo-hand-eczema",
]
DEMO = FOLDERS[1]
Edit = Callable[[dict[str, Any]], None]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_trial_folders_have_no_problems(folder: Path) -> None:
    assert [str(p) for p in trial_check.check(folder)] == []


def _criterion(data: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in data["criteria"] if c["id"] == cid)


def _set(path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]

    return edit


def _in_criterion(cid: str, key: str, value: Any) -> Edit:
    return lambda data: _criterion(data, cid).__setitem__(key, value)


PLANTED = [
    # (file, what is planted, the field the check must name)
    ("trial.yml", _drop("study_name"), "study_name"),
    ("trial.yml", _set("sponser", "Example"), "sponser"),
    ("trial.yml", _drop("page.headline"), "page.headline"),
    ("criteria.yml", _set("versoin", "2"), "versoin"),
    ("criteria.yml", _drop("texts.results.needs_review"), "texts.results"),
    ("criteria.yml", _in_criterion("flares", "rnage", [2, 9]), "criteria.flares.rnage"),
    (
        "criteria.yml",
        _in_criterion("jak_pills", "filled_by", {"entity": "medication", "roles": ["jak"]}),
        "criteria.jak_pills.filled_by.roles",
    ),
    (
        "criteria.yml",
        _in_criterion("age", "filled_by", {"entity": "birthday"}),
        "criteria.age.filled_by.entity",
    ),
    (
        "criteria.yml",
        _in_criterion("steroid_cream", "ask_if", {"pregnancy": ["yes"]}),
        "criteria.steroid_cream",
    ),
    (
        "criteria.yml",
        _in_criterion("hand_eczema", "reading", {"tme": "now"}),
        "criteria.hand_eczema.reading.tme",
    ),
    ("trial.yml", _set("condition_words.name", ["eczema"]), "condition_words.name"),
    ("trial.yml", _set("condition_words.signs", "rash"), "condition_words.signs"),
    ("answers.yml", _set("answers.faq/parking", {"text": "Park here."}), "answers.faq/parking"),
    ("answers.yml", _set("answers.faq/age", {"txt": "12 to 75"}), "answers.faq/age.text"),
    (
        "answers.yml",
        _set("answers.faq/age.buttons", [{"title": "More", "payload": "/no_such_intent"}]),
        "answers.faq/age.buttons[0].payload",
    ),
    ("topics.yml", _set("faq/pregnancy", "What about pregnancy?"), "faq/pregnancy"),
    ("topics.yml", _set("faq/parking", "Where do I park?"), "faq/parking"),
    ("prescreen.yml", _drop("ask_contact"), "ask_contact"),
    ("prescreen.yml", _set("buttons.yes_please", ["Yes"]), "buttons.yes_please"),
    ("staff_labels.yml", _drop("criteria.flares"), "criteria.flares"),
    (
        "staff_labels.yml",
        _set("criteria.pregnancy", {"label": "x", "short": "x", "review": "x"}),
        "criteria.pregnancy",
    ),
    ("staff_labels.yml", _drop("criteria.age.short"), "criteria.age.short"),
]


@pytest.mark.parametrize(
    ("file", "edit", "field"), PLANTED, ids=[f"{f}:{d}" for f, _, d in PLANTED]
)
def test_a_planted_mistake_is_named(tmp_path: Path, file: str, edit: Edit, field: str) -> None:
    folder = tmp_path / "trial"
    shutil.copytree(DEMO, folder)
    path = folder / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    problems = trial_check.check(folder)
    named = [str(p) for p in problems]
    assert (file, field) in [(p.file, p.field) for p in problems], named
    assert {p.file for p in problems} == {file}, named  # nothing else is blamed


@pytest.mark.parametrize(
    "name", ["criteria.yml", "answers.yml", "page.html", "FACTS.md", "seed-page.txt"]
)
def test_a_missing_file_is_named(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "trial"
    shutil.copytree(DEMO, folder)
    (folder / name).unlink()
    named = [str(p) for p in trial_check.check(folder)]
    assert any(p.startswith(f"{name}: missing") for p in named), named


def test_broken_yaml_and_a_stray_file_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    shutil.copytree(DEMO, folder)
    (folder / "topics.yml").write_text("faq/age: [unclosed\n", encoding="utf-8")
    (folder / "criterias.yml").write_text("{}\n", encoding="utf-8")
    named = [str(p) for p in trial_check.check(folder)]
    assert any(p.startswith("topics.yml: not valid YAML") for p in named), named
    assert any(p.startswith("criterias.yml: unknown file") for p in named), named


def test_the_command_exits_non_zero_and_prints_the_problems(tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    shutil.copytree(DEMO, folder)
    (folder / "trial.yml").write_text("nct_id: DEMO\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "trial", "check", str(folder)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    assert "trial.yml: title: missing" in run.stdout
    good = subprocess.run(
        [sys.executable, "-m", "bot", "trial", "check", str(DEMO)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert good.returncode == 0, good.stdout


def test_the_reading_traits_are_the_ones_bot_reading_reads() -> None:
    """One list (bot.prescreen.reading.TRAITS) for the reader and the check: every trait the reader
    looks up is on it, so a new one cannot be refused by the check (13 were, at a merge)."""
    source = (Path(reading.__file__)).read_text(encoding="utf-8")
    used = set(re.findall(r'\b(?:traits|reading)\.get\("([a-z_]+)"', source))
    derived = {"medicines", "negated_medicines"}  # set from filled_by by bot.prescreen.engine
    assert used - derived <= set(reading.TRAITS), used - derived - set(reading.TRAITS)
    assert set(reading.TRAITS) <= used, set(reading.TRAITS) - used
