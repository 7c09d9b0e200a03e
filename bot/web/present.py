"""How a record reads for staff: criterion labels written for the team (the trial's
staff_labels.yml), why it needs review in a few words, the medicines the patient named, local
times and usable phone numbers. Pure functions; the pages, CSV and digest share them."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

import phonenumbers

from bot import content
from bot.prescreen import engine as eligibility
from bot.staff.workhours import WorkHours
from bot.store.search import DEFAULT_REGION


@content.per_trial
def labels() -> dict[str, Any]:
    data: dict[str, Any] = content.load("staff_labels")
    return data


def criterion_ids() -> list[str]:
    return [criterion.id for criterion in eligibility.load_criteria()]


def criterion_label(key: str) -> str:
    entry = labels()["criteria"].get(key)
    return str(entry["label"]) if entry else key.replace("_", " ").capitalize()


def criterion_short(key: str) -> str:
    entry = labels()["criteria"].get(key)
    return str(entry["short"]) if entry else key.replace("_", " ").capitalize()


def answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    words: dict[str, str] = labels()["answers"]
    return words.get(str(value), str(value))


def _parts(answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    given = answers.get("answers")
    reasons = answers.get("reasons")
    given = given if isinstance(given, dict) else {}
    return given, (reasons if isinstance(reasons, dict) else {})


def criteria_rows(answers: dict[str, Any]) -> list[dict[str, str]]:
    """One row per criterion asked, in the order of criteria.yml: staff label, the answer,
    the verdict and (when it needs a look) what to check."""
    given, reasons = _parts(answers)
    order = criterion_ids()
    keys = [k for k in order if k in given or k in reasons]
    keys += [k for k in list(given) + list(reasons) if k not in keys]
    verdicts: dict[str, str] = labels()["verdicts"]
    rows = []
    for key in keys:
        reason = reasons.get(key) if isinstance(reasons.get(key), dict) else {}
        assert isinstance(reason, dict)
        verdict = str(reason.get("status") or "")
        entry = labels()["criteria"].get(key) or {}
        rows.append(
            {
                "key": str(key),
                "label": criterion_label(str(key)),
                "answer": answer_text(given.get(key)),
                "verdict": verdict,
                "verdict_label": verdicts.get(verdict, verdict),
                "check": str(entry.get("review", "")) if verdict in ("review", "fail") else "",
            }
        )
    return rows


def needs_review(answers: dict[str, Any]) -> list[dict[str, str]]:
    """The criteria that need a look (review or a fail), as {short, answer, check}."""
    return [
        {
            "short": criterion_short(row["key"]),
            "label": row["label"],
            "answer": row["answer"],
            "check": row["check"],
        }
        for row in criteria_rows(answers)
        if row["verdict"] in ("review", "fail")
    ]


def why(record: dict[str, Any], limit: int = 60) -> str:
    """Why the record is in the queue, in a few words: 'Biopsy: No · Stable medicines: Not
    sure', 'Question: Is there a placebo…', 'All answers meet the prescreen'."""
    words = labels()["why"]
    if record.get("kind") == "question" or record.get("outcome") == "question":
        questions = record.get("questions") or []
        first = str(questions[0]) if questions else ""
        text = f"{words['question']} {first}".strip()
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    items = needs_review(record.get("answers") or {})
    if items:
        return " · ".join(f"{item['short']}: {item['answer']}" for item in items)
    if _parts(record.get("answers") or {})[0]:
        return str(words["likely_eligible"])
    return str(words["nothing"])


@cache
def _medicine_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    from bot.nlu.lexicon import load_lexicon

    lexicon = load_lexicon()
    generic = {term: entry.generic for term, entry in lexicon.terms.items()}
    words = sorted(generic, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w-])")
    return pattern, generic


def medicines_named(transcript: list[dict[str, Any]]) -> list[str]:
    """Medicines the patient typed (names, brands and misspellings of the lexicon), by their
    generic name, in the order first named; the assistant's own lines are not read."""
    pattern, generic = _medicine_pattern()
    found: list[str] = []
    for line in transcript:
        if not isinstance(line, dict) or line.get("who") != "patient":
            continue
        text = " ".join(str(line.get("text") or "").replace("’", "'").lower().split())
        for match in pattern.finditer(text):
            name = generic.get(match.group(1), match.group(1))
            if name not in found:
                found.append(name)
    return found


def _parse_phone(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def phone(text: str | None) -> dict[str, str] | None:
    """{'display': '(216) 555-0177', 'tel': '+12165550177'}; a number that cannot be read is
    shown as typed, with no link."""
    if not text:
        return None
    number = _parse_phone(text)
    if number is None:
        return {"display": text, "tel": ""}
    national = phonenumbers.region_code_for_number(number) == DEFAULT_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return {
        "display": phonenumbers.format_number(number, style),
        "tel": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
    }


def phone_for_csv(text: str | None) -> str:
    """A number a coordinator can dial and a spreadsheet keeps as text: US numbers in
    national form '(216) 555-0177'; others international ('+44 20 7946 0001', which the CSV
    then neutralises like any cell starting with '+')."""
    shown = phone(text)
    return shown["display"] if shown else ""


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def answered_by(contact: dict[str, Any]) -> str:
    """Who answered for the person, without a label (the page, queue and CSV add one once):
    'daughter (Lucia)'; '' when the person answered themselves."""
    carer = contact.get("answered_by")
    if not isinstance(carer, dict):
        return ""
    relation = _text(carer.get("relation")) or "someone else"
    name = _text(carer.get("name"))
    return f"{relation} ({name})" if name else relation


def calls_caregiver(contact: dict[str, Any]) -> bool:
    """A caregiver answered and asked the team to call them (the phone is theirs)."""
    return isinstance(contact.get("answered_by"), dict) and contact.get("call") == "caregiver"


def who_to_call(contact: dict[str, Any]) -> str:
    """Whom the phone and e-mail reach: 'Lucia (daughter), the person who answered' when a
    caregiver asked to be called; else 'Rosa Bianchi, the person themselves'."""
    carer = contact.get("answered_by")
    if isinstance(carer, dict) and calls_caregiver(contact):
        name = _text(carer.get("name"))
        relation = _text(carer.get("relation")) or "someone else"
        if name:
            return f"{name} ({relation}), the person who answered"
        return f"the person who answered ({relation})"
    name = _text(contact.get("name"))
    return f"{name}, the person themselves" if name else "the person themselves"


def local_time(moment: datetime | None, hours: WorkHours) -> str:
    """'Tue 1 Dec 2026, 9:05 AM EST' in the team's time zone."""
    if moment is None:
        return ""
    local = hours.local(moment)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b %Y')}, {clock} {local.tzname()}"
