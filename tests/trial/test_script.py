"""`python -m bot trial script`: the ethics board's review copy holds every message the
loaders give a patient, graded, versioned, escaped, and compared with the approved copy."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import textstat
import yaml

from bot import content
from bot.__main__ import main
from bot.faq import lookup as faq
from bot.prescreen import dialogue as prescreen
from bot.prescreen import engine as eligibility
from bot.safety import KINDS, replies
from bot.trial.script import command, document, render_html, render_md
from bot.trial.script.document import Script


def _norm(text: Any) -> str:
    return " ".join(str(text).split())


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [str(node)]


@pytest.fixture(scope="module")
def script() -> Script:
    return document.build(content.folder())


@pytest.fixture(scope="module")
def shown(script: Script) -> dict[str, str]:
    """Every text and button title of the export, whitespace collapsed, by key."""
    return {m.key: _norm(" ".join([m.text, *m.buttons])) for g in script.groups for m in g.messages}


def _in_export(shown: dict[str, str], text: Any) -> bool:
    wanted = _norm(text)
    return any(wanted in value for value in shown.values())


def test_every_faq_and_study_team_answer_is_in_it(script: Script) -> None:
    by_key = {m.key: m for g in script.groups for m in g.messages}
    answers = faq.load()
    assert any(k.startswith("faq/") for k in answers)
    assert any(k.startswith("ask_team/") for k in answers)
    for key, answer in answers.items():
        message = by_key[f"answers.{key}"]
        assert _norm(message.text) == _norm(answer["text"])
        assert list(message.buttons) == [b["title"] for b in answer["buttons"]]


def test_every_prescreen_question_and_why_we_ask_is_in_it(
    script: Script, shown: dict[str, str]
) -> None:
    criteria = eligibility.load_criteria()
    for criterion in criteria:
        assert _norm(eligibility.prompt(criterion)) == shown[f"criteria.{criterion.id}.question"]
        assert _norm(criterion.why) == shown[f"criteria.{criterion.id}.why"]
        for name in ("fail_reason", "confirm", "confirm_other", "confirm_undo", "question_other"):
            if getattr(criterion, name):
                assert _in_export(shown, getattr(criterion, name)), (criterion.id, name)
    group = next(g for g in script.groups if g.title.startswith("Prescreen questions"))
    assert len({m.key.split(".")[1] for m in group.messages}) == len(criteria)


def test_the_consent_intro_results_and_every_prescreen_text_are_in_it(
    shown: dict[str, str],
) -> None:
    texts = _strings(dict(eligibility.texts())) + _strings(dict(prescreen.texts()))
    assert len(texts) > 20
    missing = [t for t in texts if not _in_export(shown, t)]
    assert not missing


def test_every_safety_reply_and_domain_response_is_in_it(shown: dict[str, str]) -> None:
    for kind in KINDS:
        reply = replies.safety(kind)
        assert reply is not None
        assert shown[f"domain.utter_{kind}"].startswith(_norm(reply["text"]))
    for kind in ("emergency", "overdose", "crisis"):
        assert _in_export(shown, replies.possible(kind))
    assert _in_export(shown, replies.no_reply())
    for variants in replies.responses().values():
        for variant in variants:
            assert _in_export(shown, variant["text"])
            assert all(_in_export(shown, b["title"]) for b in variant["buttons"])
    assert all(_in_export(shown, label) for label in content.topic_labels().values())


def test_messages_are_numbered_in_groups_and_each_comes_once(script: Script) -> None:
    keys = [m.key for g in script.groups for m in g.messages]
    assert len(keys) == len(set(keys)) == script.count
    numbers = list(script.numbers.values())
    assert numbers[0] == "1.1" and len(set(numbers)) == len(numbers)
    assert all(g.messages for g in script.groups)


def test_each_grade_is_the_plain_language_tests_measure(script: Script) -> None:
    """textstat's Flesch-Kincaid grade with a link read as one word (tests/test_responses.py)."""
    for key, answer in faq.load().items():
        text = re.sub(r"https?://\S+", "link", answer["text"])
        expected = round(textstat.flesch_kincaid_grade(text), 1)
        assert script.grades[f"answers.{key}"] == expected, key
    assert script.grades["criteria.age.confirm_undo"] is None  # a button title: too short


def test_a_questions_example_names_are_shown_but_not_graded(script: Script) -> None:
    with_examples = next(c for c in eligibility.load_criteria() if c.examples)
    key = f"criteria.{with_examples.id}.question"
    message = next(m for g in script.groups for m in g.messages if m.key == key)
    assert with_examples.examples[0] in message.text
    expected = round(textstat.flesch_kincaid_grade(_norm(with_examples.question)), 1)
    assert script.grades[key] == expected


def _set_answer(folder: Path, key: str, text: str) -> None:
    path = folder / "answers.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answers"][key]["text"] = text
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_version_is_a_hash_of_the_content(trial_copy: Path, script: Script) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", script.version)
    assert document.build(trial_copy).version == script.version
    key = next(iter(faq.load()))
    _set_answer(trial_copy, key, faq.load()[key]["text"] + " One more sentence.")
    assert document.build(trial_copy).version != script.version


def test_the_diff_shows_a_changed_answer_after_editing_a_copy(
    trial_copy: Path, tmp_path: Path
) -> None:
    command.write(trial_copy, tmp_path / "out", approve=True)
    approved_version = document.build(trial_copy).version
    key = next(k for k in faq.load() if k.startswith("faq/"))
    before = faq.load()[key]["text"]
    _set_answer(trial_copy, key, before + " Please ask us about the new sentence.")

    changed = document.build(trial_copy)
    assert changed.approved is not None and changed.approved.version == approved_version
    assert [(c.kind, c.message.key) for c in changed.changes] == [("changed", f"answers.{key}")]
    change = changed.changes[0]
    assert change.before is not None and change.before.text == before
    assert change.after is not None and change.after.text.endswith("the new sentence.")
    markdown = render_md.markdown(changed)
    assert f"Changed: {changed.numbers[f'answers.{key}']}" in markdown
    assert "Please ask us about the new sentence." in markdown
    assert "<ins>Please ask us about the new sentence.</ins>" in render_html.html(changed)


def test_the_diff_names_added_and_removed_answers(trial_copy: Path, tmp_path: Path) -> None:
    command.write(trial_copy, tmp_path / "out", approve=True)
    path = trial_copy / "answers.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    gone = next(k for k in data["answers"] if k.startswith("faq/"))
    del data["answers"][gone]
    data["answers"]["faq/new_topic"] = {"text": "This is a new answer. It has two sentences."}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    changes = {(c.kind, c.message.key) for c in document.build(trial_copy).changes}
    assert changes == {("added", "answers.faq/new_topic"), ("removed", f"answers.{gone}")}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def test_html_escapes_every_text(trial_copy: Path, tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script> <b onclick="x">bold</b> & <img src=x onerror=y>'
    key = next(iter(faq.load()))
    _set_answer(trial_copy, key, hostile)
    topics = trial_copy / "topics.yml"
    labels = yaml.safe_load(topics.read_text(encoding="utf-8"))
    labels[key] = "<i>Topic</i> & more"
    topics.write_text(yaml.safe_dump(labels, sort_keys=False), encoding="utf-8")

    script, html_path, md_path = command.write(trial_copy, tmp_path / "out")
    page = html_path.read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "<b " not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;i&gt;Topic&lt;/i&gt; &amp; more" in page
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= {
        "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3",
        "p", "dl", "dt", "dd", "section", "nav", "ol", "ul", "li", "a", "article", "code",
        "span", "blockquote", "del", "ins",
    }  # fmt: skip
    markdown = md_path.read_text(encoding="utf-8")
    assert "<script>" not in markdown and r"\<script\>" in markdown


@pytest.fixture
def keep_umask() -> Any:
    """`python -m bot` sets a private umask for the process; put the test's back."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def test_the_command_writes_dated_versioned_files_and_approve_records_them(
    trial_copy: Path, tmp_path: Path, keep_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["trial", "script", str(trial_copy), "--out", str(out), "--approve"]) == 0
    script = document.build(trial_copy)
    stem = f"{script.trial['nct_id']}-script-{script.made_on}-{script.version}"
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.html", f"{stem}.md"]
    kept = trial_copy / "approved" / "script.md"
    assert kept.read_text(encoding="utf-8") == (out / f"{stem}.md").read_text(encoding="utf-8")
    assert f"Recorded as approved in {trial_copy / 'approved'}" in capsys.readouterr().out
    assert script.approved is not None and script.approved.version == script.version
    assert script.changes == ()
    assert f"No changes since approved version {script.version}." in render_md.markdown(script)


def test_a_folder_without_trial_content_is_refused(
    tmp_path: Path, keep_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trial", "script", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "not a trial folder" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


def test_a_run_on_another_folder_leaves_the_content_source_as_it_was(trial_copy: Path) -> None:
    before = content.folder()
    _set_answer(trial_copy, next(iter(faq.load())), "Changed only in the copy, for this test.")
    script = document.build(trial_copy)
    assert any(
        m.text == "Changed only in the copy, for this test."
        for g in script.groups
        for m in g.messages
    )
    assert content.folder() == before
    assert all(a["text"] != "Changed only in the copy, for this test." for a in faq.load().values())
