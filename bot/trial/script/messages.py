"""Every message a patient can read, from the runtime's loaders, in groups in the order a
patient meets them. Call inside `source.trial_folder(...)` to read another trial folder.

Each message has a stable key (where it comes from: "answers.faq/placebo",
"criteria.age.why", "domain.utter_greet"), which is what the diff against the approved copy
compares. Button titles are part of the message they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import content
from bot.faq import lookup as faq
from bot.prescreen import engine as eligibility

# Domain responses a patient gets when the assistant could not use a message.
FALLBACKS = (
    "utter_default",
    "utter_ask_rephrase",
    "utter_out_of_scope",
    "utter_empty_message",
    "utter_no_words",
    "utter_too_long",
    "utter_non_english",
)
# What each question of the prescreen can show, in the order the patient may see it.
CRITERION_TEXTS = (
    ("question", "question"),
    ("question_other", "question, for someone else"),
    ("why", "why we ask"),
    ("confirm", "check before it ends the prescreen"),
    ("confirm_other", "check, for someone else"),
    ("confirm_undo", "button to undo"),
    ("fail_reason", "reason given when it does not fit"),
)


@dataclass(frozen=True)
class Message:
    key: str
    title: str
    text: str
    buttons: tuple[str, ...] = ()
    # The prose the reading grade is measured on, when not all of the text is prose (a
    # question's example medicine names are skipped, as tests/eligibility does).
    prose: str | None = None


@dataclass(frozen=True)
class Group:
    title: str
    messages: tuple[Message, ...]


def _titles(buttons: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(b["title"]) if isinstance(b, Mapping) else str(b) for b in buttons)


def _flat(text: Any) -> str:
    """A text as the patient reads it: YAML's folded lines joined, paragraphs kept."""
    return "\n".join(" ".join(line.split()) for line in str(text).strip().splitlines())


def _label(parent: str, key: str) -> str:
    words = key.replace("_", " ")
    return f"{parent}: {words}" if parent else words.capitalize()


def _walk(node: Any, key: str, title: str) -> list[Message]:
    """Texts of a nested content mapping; a list of strings is one set of buttons."""
    if isinstance(node, Mapping):
        return [m for k, v in node.items() for m in _walk(v, f"{key}.{k}", _label(title, str(k)))]
    if isinstance(node, list):
        return [Message(key, title, "", _titles(node))]
    return [Message(key, title, _flat(node))]


def _answers(prefix: str | None) -> tuple[Message, ...]:
    labels = content.topic_labels()
    found = []
    for key, answer in faq.load().items():
        kind = key.split("/")[0]
        if kind == prefix or (prefix is None and kind not in ("faq", "ask_team")):
            title = labels.get(key, key)
            found.append(
                Message(f"answers.{key}", title, answer["text"], _titles(answer["buttons"]))
            )
    return tuple(found)


def _criteria() -> tuple[tuple[Message, ...], tuple[Message, ...], tuple[Message, ...]]:
    """(intro and consent, the questions, results and summary) from criteria.yml."""
    data = content.load("criteria")
    eligibility.check_texts(data)
    texts = eligibility.texts()
    start = tuple(
        Message(f"criteria.texts.{k}", _label("", k), _flat(texts[k])) for k in ("intro", "consent")
    )
    questions = []
    for criterion in eligibility.parse_criteria(data):
        for name, what in CRITERION_TEXTS:
            value = getattr(criterion, name)
            if not value:
                continue
            shown = value
            if name in ("question", "question_other"):
                shown = eligibility.prompt(criterion, value)
            key, title = f"criteria.{criterion.id}.{name}", f"{criterion.label}: {what}"
            questions.append(Message(key, title, _flat(shown), prose=_flat(value)))
    rest = {k: v for k, v in texts.items() if k not in ("intro", "consent")}
    return start, tuple(questions), tuple(_walk(rest, "criteria.texts", ""))


def _domain() -> tuple[tuple[Message, ...], tuple[Message, ...], tuple[Message, ...]]:
    """(conversation, safety, fallback) responses of the domain."""
    from bot.safety import KINDS, replies  # imports the safety classifier: only when asked

    safety_names = [f"utter_{kind}" for kind in KINDS]
    conversation: list[Message] = []
    safety: list[Message] = []
    fallback: list[Message] = []
    responses = replies.responses()
    for name in [*safety_names, *(n for n in responses if n not in safety_names)]:
        for index, variant in enumerate(responses.get(name, [])):
            key = f"domain.{name}" + (f"[{index}]" if index else "")
            title = _label("", name.removeprefix("utter_"))
            message = Message(key, title, variant["text"], _titles(variant["buttons"]))
            if name in safety_names or name.startswith("utter_safety_"):
                safety.append(message)
            elif name in FALLBACKS:
                fallback.append(message)
            else:
                conversation.append(message)
    service = content.load("service")
    safety += _walk(service.get("possible", {}), "service.possible", "Extra line, possible")
    fallback.append(
        Message("service.no_reply", "No reply (our side failed)", _flat(service["no_reply"]))
    )
    return tuple(conversation), tuple(safety), tuple(fallback)


def _unclear() -> tuple[Message, ...]:
    """The "did you mean" question (actions/fallback.py) and the topics it offers."""
    from actions import fallback

    labels = tuple(content.topic_labels().values())
    return (
        Message("actions.fallback.ask", "Did you mean", fallback.ASK_TEXT, (fallback.NONE_TITLE,)),
        Message("topics", "Topics offered as buttons", "", labels),
    )


def collect() -> list[Group]:
    """Every message a patient can read, grouped; no group is empty."""
    from bot.prescreen import dialogue as prescreen  # the prescreen's own loader of prescreen.yml

    start, questions, results = _criteria()
    conversation, safety, fallback = _domain()
    groups = [
        Group("Welcome and conversation", conversation),
        Group("Introduction and consent", start),
        Group("Prescreen questions and why we ask", questions),
        Group("Prescreen results and summary", results),
        Group("Prescreen conversation", tuple(_walk(dict(prescreen.texts()), "prescreen", ""))),
        Group("FAQ answers", _answers("faq")),
        Group("Study-team answers", _answers("ask_team")),
        Group("Other answers", _answers(None)),
        Group("Safety replies", safety),
        Group("Fallbacks", fallback + _unclear()),
    ]
    return [g for g in groups if g.messages]
