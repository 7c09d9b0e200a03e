"""bot.prescreen.reading is the generic reader of every trial's replies: the words for a
condition and its signs come from the trial's trial.yml (condition_words), never from the
code (review finding 10)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from bot.prescreen import reading

ROOT = Path(__file__).resolve().parents[2]
TRIALS = [
    ROOT / "trials" / "nct06857240",
    ROOT / "tests" / "fixtures" / "trials" / "demo-hand-eczema",
]
# Conditions and their signs: every trial folder's own words, and a few more.
OTHERS = {"dermatomyositis", "dm", "eczema", "lupus", "psoriasis", "myositis", "rash", "spots"}


def _condition_words() -> set[str]:
    words = set(OTHERS)
    for folder in TRIALS:
        given = yaml.safe_load((folder / "trial.yml").read_text())["condition_words"]
        words |= {w.lower() for key in ("names", "signs") for w in given[key]}
    return words


def _code_strings() -> list[tuple[int, str]]:
    """Every string in bot/prescreen/reading.py's code (its patterns), not its docstrings."""
    tree = ast.parse(Path(reading.__file__).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_the_reader_names_no_condition() -> None:
    # "flared up" is how the time reader hears that something is still going on, for any
    # condition: a word of the course of an illness, not of one condition.
    words = _condition_words() - {"flare"}
    named = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words))) + r")\b", re.IGNORECASE)
    found = [(line, text) for line, text in _code_strings() if named.search(text)]
    assert found == []


def test_this_trials_words_still_read() -> None:
    assert (
        reading.read(reading.Reply("no its for me, im the one with dermatomyositis"), None).kind
        == "self"
    )
