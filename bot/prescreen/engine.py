"""The non-binding prescreen: criteria from the trial's criteria.yml, answers in, outcome out.

Answers are keyed by criterion id: "yes" / "no" / "unsure" / "not_applicable", an int for an
age or number question, a choice id for a choice question; a missing key or None means not
answered yet. Each question says what fills it from a reply's entities (``filled_by``). The
rules that turn answers into a result are documented at the top of criteria.yml.
Nothing here logs or stores answers.

Over 300 lines because the criteria file's parser (each check names the field it refuses,
which `python -m bot trial check` reports) sits beside the scoring that shares its types; the
split into a parser and an engine belongs to issue 17's layout step (bot/prescreen/engine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

from bot import content
from bot.prescreen.answers import REPLIES, Reply

Answer = Reply | int
Answers = Mapping[str, Answer | None]
Kind = Literal["yes_no", "age", "number", "choice"]
Verdict = Literal["pass", "fail", "review"]
OnFail = Literal["end", "review"]
Status = Literal["pass", "fail", "review", "unanswered", "skipped"]
Result = Literal["likely_eligible", "needs_review", "not_eligible", "incomplete"]

KINDS: tuple[Kind, ...] = get_args(Kind)
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
ON_FAIL: tuple[OnFail, ...] = get_args(OnFail)
RESULTS: tuple[Result, ...] = get_args(Result)
AGE_KEYS = ("in_range", "out_of_range", "unsure")
# Kinds whose answer is a whole number scored by `range` (the verdict keys are AGE_KEYS).
NUMBER_KINDS: tuple[Kind, ...] = ("age", "number")
# What a reply's entities can fill (bot.nlu's entity types), and the roles each may name.
ENTITIES = ("medication", "age", "duration")
DURATION_ROLES = ("ago", "for")
TEXT_KEYS = ("intro", "consent", "examples_intro", "summary_intro")
REASON_KEYS = ("pass", "review", "unanswered", "skipped")

# The extractor gives 0.7 or less when it guessed the route ("steroids" could be pills or a
# cream) or read a badly misspelt name. bot.prescreen.reading leaves such mentions out.
MIN_CONFIDENCE = 0.75


@dataclass(frozen=True)
class FilledBy:
    """What in a reply answers a question: an entity (with roles) that bot.nlu extracts.

    medication: a mention of one of ``roles`` (lexicon categories) answers yes, a "never"
    mention no; with ``only_never`` only the "never" counts (a cream used does not say it
    failed). duration: a span of role ``ago``/``for`` of at least ``min_days`` answers yes.
    age: the age said answers an age question."""

    entity: str
    roles: tuple[str, ...] = ()
    only_never: bool = False
    min_days: int | None = None


@dataclass(frozen=True)
class Criterion:
    """One prescreen question and how its answers are scored."""

    id: str
    kind: Kind
    label: str
    question: str
    why: str
    verdicts: Mapping[str, Verdict] = field(hash=False)
    on_fail: OnFail
    fail_reason: str
    examples: tuple[str, ...] = ()
    # The range of an age or number question (both ends included).
    age_range: tuple[int, int] | None = None
    filled_by: FilledBy | None = None
    # A choice question's options: (id, label shown on its button).
    choices: tuple[tuple[str, str], ...] = ()
    ask_if: Mapping[str, tuple[Reply, ...]] = field(default_factory=dict, hash=False)
    # How a reply to it is read (bot/prescreen/reading.py): time, medicines, topic words, ...
    reading: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # (role, min_days): a time span in the reply that answers it ("stopped 3 weeks ago").
    duration: tuple[str, int] | None = None
    # Asked before a free-text reply ends the prescreen ("Just to check: ...").
    confirm: str | None = None
    confirm_undo: str | None = None
    # The same, about someone else, for a caregiver answering for them.
    question_other: str | None = None
    confirm_other: str | None = None

    @property
    def replies(self) -> tuple[Reply, ...]:
        """The yes/no-style replies this question accepts (an age question also takes ints)."""
        return tuple(r for r in REPLIES if r in self.verdicts)

    @property
    def takes_number(self) -> bool:
        """An age or number question: the answer is a whole number (or "unsure")."""
        return self.kind in NUMBER_KINDS

    @property
    def allows_not_applicable(self) -> bool:
        return "not_applicable" in self.verdicts

    def accepts(self, answer: object) -> bool:
        if self.takes_number and _is_int(answer):
            return True
        if self.kind == "choice" and answer in dict(self.choices):
            return True
        return isinstance(answer, str) and answer in self.replies

    def verdict(self, answer: Answer) -> Verdict:
        """pass / fail / review for one answer; ValueError if the question does not take it."""
        if not self.accepts(answer):
            raise ValueError(f"{self.id}: {answer!r} is not an answer to this question")
        if self.takes_number and isinstance(answer, int):
            low, high = self.age_range or (0, 0)
            return self.verdicts["in_range" if low <= answer <= high else "out_of_range"]
        return self.verdicts[str(answer)]


@dataclass(frozen=True)
class Reason:
    status: Status
    text: str


@dataclass(frozen=True)
class Outcome:
    """The prescreen result. ``reason`` is the fail_reason of the answer that ended it."""

    result: Result
    reasons: Mapping[str, Reason]
    message: str
    ended_by: str | None = None
    reason: str | None = None


# --- loading ------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _choice(value: object, allowed: Sequence[str], where: str) -> Any:
    if value not in allowed:
        raise ValueError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _verdicts(item: Mapping[str, Any], kind: Kind, where: str) -> dict[str, Verdict]:
    raw = item.get("answers")
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: 'answers' must map each reply to a verdict")
    keys: Sequence[str] = AGE_KEYS if kind in NUMBER_KINDS else REPLIES
    required: Sequence[str] = AGE_KEYS if kind in NUMBER_KINDS else ("yes", "no", "unsure")
    if kind == "choice":
        options = [str(c.get("id")) for c in item.get("choices") or () if isinstance(c, Mapping)]
        keys = required = (*options, "unsure")
    verdicts = {str(k): _choice(v, VERDICTS, f"{where}.answers.{k}") for k, v in raw.items()}
    for key in verdicts:
        _choice(key, keys, f"{where}.answers")
    missing = [k for k in required if k not in verdicts]
    if missing:
        raise ValueError(f"{where}: 'answers' lacks {', '.join(missing)}")
    if verdicts["unsure"] != "review":
        raise ValueError(f"{where}: 'unsure' must map to review (the study team checks it)")
    return verdicts


def _age_range(item: Mapping[str, Any], where: str) -> tuple[int, int]:
    raw = item.get("range")
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(_is_int(v) for v in raw)
        or raw[0] > raw[1]
    ):
        raise ValueError(f"{where}: 'range' must be [lowest, highest] whole years")
    return raw[0], raw[1]


def _ask_if(
    item: Mapping[str, Any], earlier: Mapping[str, Criterion], where: str
) -> dict[str, tuple[Reply, ...]]:
    raw = item.get("ask_if") or {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: 'ask_if' must map an earlier question to replies")
    out: dict[str, tuple[Reply, ...]] = {}
    for other, replies in raw.items():
        if other not in earlier:
            raise ValueError(f"{where}: 'ask_if' names {other!r}, which is not asked before it")
        if not isinstance(replies, list) or not replies:
            raise ValueError(f"{where}: 'ask_if.{other}' must list replies")
        for reply in replies:
            _choice(reply, earlier[other].replies, f"{where}.ask_if.{other}")
        out[str(other)] = tuple(replies)
    return out


def _mapping(item: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    raw = item.get(key) or {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: '{key}' must be a mapping")
    return raw


def _optional_text(item: Mapping[str, Any], key: str, where: str) -> str | None:
    return _text(item, key, where) if key in item else None


def _duration(filled: FilledBy | None) -> tuple[str, int] | None:
    if filled is None or filled.entity != "duration" or filled.min_days is None:
        return None
    return filled.roles[0], filled.min_days


def _choices(item: Mapping[str, Any], kind: Kind, where: str) -> tuple[tuple[str, str], ...]:
    raw = item.get("choices")
    if kind != "choice":
        if raw is not None:
            raise ValueError(f"{where}: 'choices' is only for a choice question")
        return ()
    if not isinstance(raw, list) or len(raw) < 2:
        raise ValueError(f"{where}: 'choices' must list at least two {{id, label}}")
    out = [(_text(c, "id", f"{where}.choices"), _text(c, "label", f"{where}.choices")) for c in raw]
    if len({cid for cid, _ in out}) != len(out) or "unsure" in dict(out):
        raise ValueError(f"{where}: 'choices' ids must differ and not be 'unsure'")
    return tuple(out)


def _filled_by(item: Mapping[str, Any], kind: Kind, where: str) -> FilledBy | None:
    """``filled_by: {entity, roles, ...}``; roles must be the lexicon's categories (medication)
    or ago/for (duration). The entities and roles of domain.yml are checked against these by
    tests/eligibility/test_trial_vocabulary.py and `python -m bot trial check`."""
    from bot.nlu.types import CATEGORIES  # the lexicon's categories

    raw = item.get("filled_by")
    if raw is None:
        return None
    where = f"{where}.filled_by"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: must be {{entity: ..., roles: [...]}}")
    unknown = set(raw) - {"entity", "roles", "only_never", "min_days"}
    if unknown:
        raise ValueError(f"{where}: unknown key {', '.join(sorted(map(str, unknown)))}")
    entity = _choice(raw.get("entity"), ENTITIES, f"{where}.entity")
    roles = raw.get("roles") or []
    if not isinstance(roles, list):
        raise ValueError(f"{where}.roles: must be a list")
    allowed = {"medication": CATEGORIES, "duration": DURATION_ROLES, "age": ()}[entity]
    for role in roles:
        _choice(role, allowed, f"{where}.roles")
    if entity == "age" and kind != "age":
        raise ValueError(f"{where}: an age fills only an age question")
    if entity != "age" and (kind != "yes_no" or not roles):
        raise ValueError(f"{where}: a {entity} fills a yes_no question and needs roles")
    min_days = raw.get("min_days")
    if (entity == "duration") != (min_days is not None) or (
        min_days is not None and not _is_int(min_days)
    ):
        raise ValueError(f"{where}.min_days: whole days, for a duration (and only for one)")
    if entity == "duration" and len(roles) != 1:
        raise ValueError(f"{where}.roles: a duration names one role, ago or for")
    return FilledBy(str(entity), tuple(map(str, roles)), bool(raw.get("only_never")), min_days)


def _reading(item: Mapping[str, Any], filled: FilledBy | None, where: str) -> dict[str, Any]:
    """The ``reading:`` traits, with the medicine roles bot.prescreen.reading reads taken from
    ``filled_by`` (written there, not here)."""
    traits = dict(_mapping(item, "reading", where))
    for key in ("medicines", "negated_medicines"):
        if key in traits:
            raise ValueError(f"{where}.reading.{key}: say it with filled_by: {{entity, roles}}")
    if filled is not None and filled.entity == "medication":
        traits["negated_medicines" if filled.only_never else "medicines"] = list(filled.roles)
    return traits


def parse_criteria(data: Mapping[str, Any]) -> list[Criterion]:
    """Criteria from the parsed criteria.yml; ValueError names the first problem found."""
    items = data.get("criteria")
    if not isinstance(items, list) or not items:
        raise ValueError("criteria.yml: 'criteria' must be a non-empty list")
    found: dict[str, Criterion] = {}
    for index, item in enumerate(items):
        where = f"criteria[{index}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: must be a mapping")
        cid = _text(item, "id", where)
        where = f"criteria.{cid}"
        if cid in found:
            raise ValueError(f"{where}: id is used twice")
        kind: Kind = _choice(item.get("kind"), KINDS, f"{where}.kind")
        if "duration" in item:
            raise ValueError(f"{where}.duration: say it with filled_by: {{entity: duration, ...}}")
        filled = _filled_by(item, kind, where)
        choices = _choices(item, kind, where)
        examples = item.get("examples") or []
        if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
            raise ValueError(f"{where}: 'examples' must be a list of names")
        found[cid] = Criterion(
            id=cid,
            kind=kind,
            label=_text(item, "label", where),
            question=_text(item, "question", where),
            why=_text(item, "why", where),
            verdicts=MappingProxyType(_verdicts(item, kind, where)),
            on_fail=_choice(item.get("on_fail"), ON_FAIL, f"{where}.on_fail"),
            fail_reason=_text(item, "fail_reason", where),
            examples=tuple(examples),
            age_range=_age_range(item, where) if kind in NUMBER_KINDS else None,
            filled_by=filled,
            choices=choices,
            ask_if=MappingProxyType(_ask_if(item, found, where)),
            reading=MappingProxyType(_reading(item, filled, where)),
            duration=_duration(filled),
            confirm=_optional_text(item, "confirm", where),
            confirm_undo=_optional_text(item, "confirm_undo", where),
            question_other=_optional_text(item, "question_other", where),
            confirm_other=_optional_text(item, "confirm_other", where),
        )
    return list(found.values())


def check_texts(data: Mapping[str, Any]) -> None:
    """ValueError unless criteria.yml has a version and every text the prescreen shows."""
    if not isinstance(data.get("version"), str) or not data["version"].strip():
        raise ValueError("criteria.yml: 'version' must be text")
    found = data.get("texts")
    if not isinstance(found, Mapping):
        raise ValueError("criteria.yml: 'texts' must be a mapping")
    groups: dict[str, Sequence[str]] = {
        "texts": TEXT_KEYS,
        "texts.results": RESULTS,
        "texts.reasons": REASON_KEYS,
        "texts.answer_words": REPLIES,
    }
    for where, keys in groups.items():
        group = found if where == "texts" else found.get(where.split(".")[1])
        if not isinstance(group, Mapping):
            raise ValueError(f"criteria.yml: '{where}' must be a mapping")
        for key in keys:
            _text(group, key, where)


@content.per_trial
def _criteria() -> tuple[Criterion, ...]:
    data = content.load("criteria")
    check_texts(data)
    return tuple(parse_criteria(data))


def load_criteria() -> list[Criterion]:
    """The prescreen questions, in the order they are asked."""
    return list(_criteria())


def filled_by(entity: str) -> list[Criterion]:
    """The questions an entity of this type fills (``filled_by.entity``), in order."""
    return [c for c in _criteria() if c.filled_by is not None and c.filled_by.entity == entity]


def version() -> str:
    """The criteria version, to store next to a result."""
    return str(content.load("criteria")["version"])


def texts() -> Mapping[str, Any]:
    """The prescreen's other patient-facing texts (intro, consent, results, ...)."""
    data: Mapping[str, Any] = content.load("criteria")["texts"]
    return data


def prompt(criterion: Criterion, question: str | None = None) -> str:
    """The question as shown to the patient, with its example medicines if it has any.
    ``question`` replaces the wording (the caregiver's "Has a doctor told them ...")."""
    asked = question or criterion.question
    if not criterion.examples:
        return asked
    return f"{asked}\n{texts()['examples_intro']} {', '.join(criterion.examples)}."


# --- scoring ------------------------------------------------------------------------------------


def _waiting_on(criterion: Criterion, answers: Answers) -> bool | None:
    """None if the question applies; True if an earlier answer it depends on is missing;
    False if an earlier answer means it does not apply."""
    for other, replies in criterion.ask_if.items():
        given = answers.get(other)
        if given is None:
            return True
        if given not in replies:
            return False
    return None


def evaluate(answers: Answers, *, criteria: Sequence[Criterion] | None = None) -> Outcome:
    """Score the answers so far. Keys that are not criterion ids are ignored.

    Order of rules: a fail on an ``on_fail: end`` question -> not_eligible (the first one is
    reported); otherwise a question still to ask -> incomplete; otherwise any review (an
    "unsure", or a fail on an ``on_fail: review`` question) -> needs_review; otherwise
    likely_eligible.
    """
    words = texts()["reasons"]
    reasons: dict[str, Reason] = {}
    ended_by: Criterion | None = None
    to_ask = review = False
    for criterion in criteria if criteria is not None else _criteria():
        waiting = _waiting_on(criterion, answers)
        answer = answers.get(criterion.id)
        if waiting is False:
            reasons[criterion.id] = Reason("skipped", words["skipped"])
            continue
        if waiting or answer is None:
            reasons[criterion.id] = Reason("unanswered", words["unanswered"])
            to_ask = True
            continue
        verdict = criterion.verdict(answer)
        if verdict == "pass":
            reasons[criterion.id] = Reason("pass", words["pass"])
        elif verdict == "review":
            reasons[criterion.id] = Reason("review", words["review"])
            review = True
        elif criterion.on_fail == "end":
            reasons[criterion.id] = Reason("fail", criterion.fail_reason)
            ended_by = ended_by or criterion
        else:
            reasons[criterion.id] = Reason("review", criterion.fail_reason)
            review = True
    result: Result
    if ended_by is not None:
        result = "not_eligible"
    elif to_ask:
        result = "incomplete"
    else:
        result = "needs_review" if review else "likely_eligible"
    return Outcome(
        result=result,
        reasons=reasons,
        message=texts()["results"][result],
        ended_by=ended_by.id if ended_by else None,
        reason=ended_by.fail_reason if ended_by else None,
    )


def next_question(
    answers: Answers, *, criteria: Sequence[Criterion] | None = None
) -> Criterion | None:
    """The first question still to ask, or None when done or an answer already ended it."""
    chosen = list(criteria) if criteria is not None else list(_criteria())
    outcome = evaluate(answers, criteria=chosen)
    if outcome.result == "not_eligible":
        return None
    for criterion in chosen:
        if outcome.reasons[criterion.id].status == "unanswered":
            return criterion
    return None


def summary_lines(answers: Answers, *, criteria: Sequence[Criterion] | None = None) -> list[str]:
    """One plain line per answered question, in order: "Age: 52", "...: Yes"."""
    words = texts()["answer_words"]
    chosen = list(criteria) if criteria is not None else list(_criteria())
    outcome = evaluate(answers, criteria=chosen)
    lines: list[str] = []
    for criterion in chosen:
        answer = answers.get(criterion.id)
        if answer is None or outcome.reasons[criterion.id].status in ("skipped", "unanswered"):
            continue
        lines.append(f"{criterion.label}: {shown_answer(criterion, answer, words)}")
    return lines


def shown_answer(criterion: Criterion, answer: Any, words: Mapping[str, str] | None = None) -> str:
    """An answer as the person reads it back: a number, a choice's title, or Yes / No / ..."""
    if _is_int(answer):
        return str(answer)
    words = words if words is not None else texts()["answer_words"]
    return str(dict(criterion.choices).get(str(answer)) or words.get(str(answer), str(answer)))
