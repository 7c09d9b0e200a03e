"""`python -m bot trial check trials/<id>`: validate a trial folder, naming every problem by
file and field ("criteria.yml: criteria.flares.filled_by.roles: 'antibiotic' is not one
of ...").

It checks what the assistant would otherwise find out while talking to a patient: missing
files, unknown keys, questions whose ``filled_by`` names an entity or role the domain does not
have, answers for topics the NLU cannot pick, buttons and labels that point at nothing, staff
labels for questions that do not exist. It reads the files; it never starts the assistant.

Over 300 lines on purpose: one check per file of a trial folder, with the keys each may hold,
kept in one module so every rule a trial folder must follow is in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content import TRIAL_FILES, TRIAL_PAGE, TRIAL_SOURCES
from bot.ops.settings import ROOT
from bot.prescreen import engine as eligibility
from bot.prescreen import reading

TRIAL_KEYS = ("nct_id", "title", "short_name", "study_name", "sponsor", "registry_url")
CONDITION_KEYS = ("names", "signs")  # trial.yml condition_words (optional)
PAGE_KEYS = ("title", "description", "site_name", "headline", "lead")
CRITERIA_TOP = ("version", "texts", "criteria")
CRITERION_KEYS = (
    "id", "kind", "label", "question", "why", "answers", "on_fail", "fail_reason", "examples",
    "range", "ask_if", "reading", "filled_by", "confirm", "confirm_undo", "question_other",
    "confirm_other", "choices",
)  # fmt: skip
# What bot.prescreen.dialogue says: every trial's prescreen.yml has these.
PRESCREEN_TEXTS = (
    "not_understood", "not_understood_age", "check_age", "too_long", "english_only",
    "progress", "restarted", "changed", "noted_also", "confirm_stop", "keep_going", "after_safety",
    "check_in", "stopped", "declined_start", "not_eligible_next", "share_ask", "pick_change",
    "declined_share", "ask_name", "bad_name", "ask_contact", "bad_contact", "ask_best_time",
    "submitted", "ask_question", "share_question", "submitted_question", "not_submitted",
    "saved_for_later", "pick_again", "confirm_default", "ask_again", "not_eligible_offer",
    "answering_for_other", "share_ask_other", "ask_names_other", "ask_patient_name",
    "ask_caregiver_name", "ask_call_who", "ask_contact_patient", "offer_callback",
    "share_callback", "callback_note", "reuse_contact", "after_handoff_wait",
    "after_handoff_reference", "share_ask_first",
)  # fmt: skip
PRESCREEN_OPTIONAL = (
    "not_understood_number",
    "not_understood_choice",
    "share_question_kept",
    "not_eligible_unsure",
    "answering_for_self",
    "ask_willing_to_stop",
    "share_not_understood",
    "ask_best_time_patient",
)
PRESCREEN_BUTTONS = {
    "buttons": ("answer", "answer_not_applicable", "consent", "share", "stop",
                "share_question", "pick_cancel"),
    "choices": ("consent_other", "confirm_undo", "not_eligible", "share_other", "call_who",
                "offer_callback", "reuse_contact"),
}  # fmt: skip
PRESCREEN_OPTIONAL_BUTTONS = {"choices": ("pick_self", "ask_team")}
STAFF_TOP = ("criteria", "verdicts", "answers", "why")
STAFF_ENTRY = ("label", "short", "review")
STAFF_GROUPS = {
    "verdicts": ("pass", "fail", "review", "unanswered", "skipped"),
    "answers": ("yes", "no", "unsure", "not_applicable"),
    "why": ("likely_eligible", "question", "nothing"),
}
ANSWER_KEYS = ("text", "buttons")


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.field}: {self.message}"
            if self.field
            else (f"{self.file}: {self.message}")
        )


def domain_vocabulary(root: Path = ROOT) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """The domain's entities (with their roles) and intents."""
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    entities: dict[str, tuple[str, ...]] = {}
    for item in domain.get("entities") or ():
        name, spec = next(iter(item.items())) if isinstance(item, Mapping) else (item, {})
        entities[str(name)] = tuple(str(r) for r in (spec or {}).get("roles") or ())
    intents = {str(i if isinstance(i, str) else next(iter(i))) for i in domain.get("intents", [])}
    return entities, intents


def nlu_topics(root: Path = ROOT) -> set[str]:
    """Every intent the training data teaches, retrieval topics included ("faq/placebo")."""
    found: set[str] = set()
    for path in sorted((root / "data" / "nlu").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found.update(str(i["intent"]) for i in data.get("nlu") or () if i.get("intent"))
    return found


def _unknown(data: Mapping[str, Any], allowed: tuple[str, ...] | set[str]) -> list[str]:
    return sorted(str(k) for k in data if k not in allowed)


class _Checker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []
        self.entities, self.intents = domain_vocabulary()
        self.topics = nlu_topics() | self.intents
        self.criterion_ids: list[str] = []

    def add(self, file: str, field: str, message: str) -> None:
        if field and any(p.file == file and p.field == field for p in self.problems):
            return  # one problem per field is enough (the engine and the domain agree)
        self.problems.append(Problem(file, field, message))

    def load(self, name: str) -> Any:
        file = f"{name}.yml"
        path = self.folder / file
        if not path.is_file():
            self.add(file, "", "missing (every trial folder has it)")
            return None
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            self.add(file, "", f"not valid YAML: {' '.join(str(error).split())}")
            return None
        if not isinstance(data, Mapping):
            self.add(file, "", "must be a mapping of keys")
            return None
        return data

    def run(self) -> list[Problem]:
        if not self.folder.is_dir():
            self.add(str(self.folder), "", "not a folder")
            return self.problems
        for source in TRIAL_SOURCES:
            if not (self.folder / source).is_file():
                self.add(source, "", "missing (the sources every fact comes from)")
        if not (self.folder / TRIAL_PAGE).is_file():
            self.add(TRIAL_PAGE, "", "missing (the body of the public page)")
        known = {f"{n}.yml" for n in TRIAL_FILES} | {*TRIAL_SOURCES, TRIAL_PAGE}
        for path in sorted(self.folder.iterdir()):
            if path.name not in known and not path.name.startswith("."):
                self.add(path.name, "", "unknown file (a trial folder has: " + ", ".join(
                    sorted(known)) + ")")  # fmt: skip
        self.trial(self.load("trial"))
        self.criteria(self.load("criteria"))
        answers = self.answers(self.load("answers"))
        self.topic_labels(self.load("topics"), answers)
        self.prescreen(self.load("prescreen"))
        self.staff_labels(self.load("staff_labels"))
        return self.problems

    def trial(self, data: Mapping[str, Any] | None) -> None:
        if data is None:
            return
        for key in _unknown(data, (*TRIAL_KEYS, "page", "condition_words")):
            self.add("trial.yml", key, "unknown key")
        for key in TRIAL_KEYS:
            if not isinstance(data.get(key), str) or not data[key].strip():
                self.add("trial.yml", key, "missing (must be text)")
        self.condition_words(data.get("condition_words"))
        page = data.get("page")
        if not isinstance(page, Mapping):
            self.add("trial.yml", "page", "missing (the public page's title, headline, ...)")
            return
        for key in _unknown(page, PAGE_KEYS):
            self.add("trial.yml", f"page.{key}", "unknown key")
        for key in PAGE_KEYS:
            if not isinstance(page.get(key), str) or not page[key].strip():
                self.add("trial.yml", f"page.{key}", "missing (must be text)")

    def condition_words(self, words: Any) -> None:
        """Optional: {names: [...], signs: [...]}, the words bot.prescreen.reading reads the
        condition by."""
        field = "condition_words"
        if words is None:
            return
        if not isinstance(words, Mapping):
            self.add("trial.yml", field, "must be {names: [...], signs: [...]}")
            return
        for key in _unknown(words, CONDITION_KEYS):
            self.add("trial.yml", f"{field}.{key}", "unknown key")
        for key in CONDITION_KEYS:
            found = words.get(key, [])
            if not isinstance(found, list) or not all(
                isinstance(w, str) and w.strip() for w in found
            ):
                self.add("trial.yml", f"{field}.{key}", "must be a list of words")

    def criteria(self, data: Mapping[str, Any] | None) -> None:
        file = "criteria.yml"
        if data is None:
            return
        for key in _unknown(data, CRITERIA_TOP):
            self.add(file, key, "unknown key")
        try:
            eligibility.check_texts(data)
        except ValueError as error:
            self.add(file, *_split(str(error).removeprefix("criteria.yml: ")))
        items = data.get("criteria")
        if not isinstance(items, list) or not items:
            self.add(file, "criteria", "must be a non-empty list of questions")
            return
        good: list[Mapping[str, Any]] = []
        for index, item in enumerate(items):
            where = f"criteria.{item.get('id')}" if isinstance(item, Mapping) else f"[{index}]"
            if isinstance(item, Mapping):
                for key in _unknown(item, CRITERION_KEYS):
                    self.add(file, f"{where}.{key}", "unknown key")
                for key in _unknown(item.get("reading") or {}, reading.TRAITS):
                    self.add(file, f"{where}.reading.{key}", "unknown reading trait")
                self._filled_by(file, where, item.get("filled_by"))
            if isinstance(item, Mapping) and item.get("id"):
                self.criterion_ids.append(str(item["id"]))  # named, even if wrong inside
            try:
                eligibility.parse_criteria({"criteria": [*good, item]})
            except ValueError as error:
                self.add(file, *_split(str(error)))
                continue
            good.append(item)

    def _filled_by(self, file: str, where: str, raw: object) -> None:
        """The entity and roles against domain.yml (the engine checks them against bot.nlu)."""
        if not isinstance(raw, Mapping) or "entity" not in raw:
            return
        entity = str(raw["entity"])
        if entity not in self.entities:
            known = ", ".join(sorted(self.entities))
            self.add(file, f"{where}.filled_by.entity", f"{entity!r} is not an entity of "
                     f"domain.yml ({known})")  # fmt: skip
            return
        for role in raw.get("roles") or ():
            if role not in self.entities[entity]:
                self.add(file, f"{where}.filled_by.roles", f"{role!r} is not a role of "
                         f"{entity} in domain.yml")  # fmt: skip

    def _buttons(self, file: str, where: str, buttons: object) -> None:
        if buttons is None:
            return
        if not isinstance(buttons, list):
            self.add(file, where, "must be a list of {title, payload}")
            return
        for number, button in enumerate(buttons):
            if not isinstance(button, Mapping) or not button.get("title"):
                self.add(file, f"{where}[{number}]", "needs a title")
                continue
            payload = str(button.get("payload", ""))
            intent = payload[1:].split("{")[0] if payload.startswith("/") else None
            if intent is not None and intent not in self.intents:
                self.add(file, f"{where}[{number}].payload", f"{payload!r}: no such intent")

    def answers(self, data: Mapping[str, Any] | None) -> set[str]:
        file = "answers.yml"
        if data is None:
            return set()
        found = data.get("answers")
        if not isinstance(found, Mapping) or not found:
            self.add(file, "answers", "must map each topic to its answer")
            return set()
        for topic, answer in found.items():
            where = f"answers.{topic}"
            if topic not in self.topics:
                self.add(file, where, "unknown topic (not an intent the NLU is trained on)")
            if not isinstance(answer, Mapping):
                self.add(file, where, "must be {text, buttons}")
                continue
            for key in _unknown(answer, ANSWER_KEYS):
                self.add(file, f"{where}.{key}", "unknown key")
            if not isinstance(answer.get("text"), str) or not answer["text"].strip():
                self.add(file, f"{where}.text", "missing (must be text)")
            self._buttons(file, f"{where}.buttons", answer.get("buttons"))
        return {str(t) for t in found}

    def topic_labels(self, data: Mapping[str, Any] | None, answers: set[str]) -> None:
        if data is None:
            return
        for topic, label in data.items():
            if topic not in self.topics:
                self.add("topics.yml", str(topic), "unknown topic (not an intent of the NLU)")
            elif "/" in str(topic) and topic not in answers:
                self.add("topics.yml", str(topic), "no answer for it in answers.yml")
            if not isinstance(label, str) or not label.strip():
                self.add("topics.yml", str(topic), "the label must be text")

    def prescreen(self, data: Mapping[str, Any] | None) -> None:
        file = "prescreen.yml"
        if data is None:
            return
        allowed = (*PRESCREEN_TEXTS, *PRESCREEN_OPTIONAL, *PRESCREEN_BUTTONS)
        for key in _unknown(data, allowed):
            self.add(file, key, "unknown key")
        for key in PRESCREEN_TEXTS:
            if not isinstance(data.get(key), str) or not data[key].strip():
                self.add(file, key, "missing (must be text)")
        for group, keys in PRESCREEN_BUTTONS.items():
            found = data.get(group)
            if not isinstance(found, Mapping):
                self.add(file, group, "missing (a mapping of button titles)")
                continue
            for key in _unknown(found, (*keys, *PRESCREEN_OPTIONAL_BUTTONS.get(group, ()))):
                self.add(file, f"{group}.{key}", "unknown key")
            for key in keys:
                if key not in found:
                    self.add(file, f"{group}.{key}", "missing")

    def staff_labels(self, data: Mapping[str, Any] | None) -> None:
        file = "staff_labels.yml"
        if data is None:
            return
        for key in _unknown(data, STAFF_TOP):
            self.add(file, key, "unknown key")
        labels = data.get("criteria")
        if not isinstance(labels, Mapping):
            self.add(file, "criteria", "must map each question id to its staff labels")
            return
        for cid, entry in labels.items():
            if cid not in self.criterion_ids:
                self.add(file, f"criteria.{cid}", "no such question in criteria.yml")
            if not isinstance(entry, Mapping):
                self.add(file, f"criteria.{cid}", "must be {label, short, review}")
                continue
            for key in _unknown(entry, STAFF_ENTRY):
                self.add(file, f"criteria.{cid}.{key}", "unknown key")
            for key in STAFF_ENTRY:
                if not isinstance(entry.get(key), str) or not entry[key].strip():
                    self.add(file, f"criteria.{cid}.{key}", "missing (must be text)")
        for cid in self.criterion_ids:
            if cid not in labels:
                self.add(file, f"criteria.{cid}", "missing (every question has staff labels)")
        for group, keys in STAFF_GROUPS.items():
            found = data.get(group)
            if not isinstance(found, Mapping):
                self.add(file, group, "missing (a mapping)")
                continue
            for key in keys:
                if key not in found:
                    self.add(file, f"{group}.{key}", "missing")


def _split(message: str) -> tuple[str, str]:
    """'criteria.age.range: must be ...' -> ('criteria.age.range', 'must be ...')."""
    found = re.match(r"([\w.\[\]-]+): (.*)", message, re.S)
    return (found.group(1), found.group(2)) if found else ("", message)


def check(folder: Path) -> list[Problem]:
    """Every problem found in a trial folder, by file and field; empty when it is fine."""
    return _Checker(folder).run()


def main(folder: str) -> int:
    problems = check(Path(folder))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {folder}")
        return 1
    print(f"{folder}: no problems found")
    return 0
