"""Find medication mentions in a spaCy Doc and normalise them.

Exact names come from the pipeline's entity ruler; unknown words close to a lexicon name
(and not an English word) are matched by :class:`~bot.nlu.fuzzy.FuzzyIndex`. A form word
next to the name ("tacrolimus ointment", "oral tacrolimus", "steroid shots"), a dose unit
("0.1%" vs "2mg") or an application verb ("rub", "apply") decides the route, and with it
the category of route-dependent entries. Status comes from :mod:`bot.nlu.status`.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc

from bot.nlu.fuzzy import FuzzyIndex
from bot.nlu.lexicon import Lexicon, Term
from bot.nlu.pipeline import FORM_LABEL, MEDICATION_LABEL
from bot.nlu.status import TimeMark, assign_statuses, normalise_tokens
from bot.nlu.types import FORMS, Extracted, Form

_FORM_WINDOW_AFTER = 3
_FORM_WINDOW_BEFORE = 2
_DOSE_WORDS = frozenset("mg mcg g ml % percent strength generic brand dose of".split())
_DETERMINERS = frozenset("the my a an some any of".split())
_TOPICAL_HINTS = {"%": "topical", "percent": "topical"}
_ORAL_HINTS = {"mg": "oral", "mcg": "oral", "milligrams": "oral"}
_APPLY_VERBS = frozenset("apply applying applied rub rubbing rubbed smear put".split())
_STOPPERS = frozenset(". , ; ! ? and or but with".split())
_CONFIDENCE_DEFAULT_ROUTE = 0.7
_CONFIDENCE_HINTED_ROUTE = 0.9
_CONFIDENCE_PER_EDIT = 0.1


@dataclass(frozen=True)
class _Mention:
    start: int  # token index
    end: int
    term: Term
    edits: int = 0


def find_medications(
    doc: Doc,
    lexicon: Lexicon,
    fuzzy: FuzzyIndex | None,
    english_words: Container[str],
    time_marks: Sequence[TimeMark] = (),
) -> list[Extracted]:
    mentions, forms = _exact_mentions(doc, lexicon)
    if fuzzy is not None:
        mentions = sorted(
            mentions + _fuzzy_mentions(doc, lexicon, fuzzy, english_words, mentions, forms),
            key=lambda m: m.start,
        )
    mentions = [m for m in mentions if not _excluded_by_next_word(doc, lexicon, m)]
    if not mentions:
        return []
    norms = normalise_tokens([t.norm_ for t in doc])
    statuses = assign_statuses(norms, [(m.start, m.end) for m in mentions], time_marks)
    mention_tokens = {i for m in mentions for i in range(m.start, m.end)}
    out: list[Extracted] = []
    for mention, status in zip(mentions, statuses, strict=True):
        form, hinted = _resolve_form(doc, norms, mention, forms, mention_tokens)
        entry = lexicon.entries[mention.term.generic]
        category, decided = entry.category_for(form)
        confidence = 1.0
        if not decided:
            confidence = _CONFIDENCE_DEFAULT_ROUTE
        elif hinted and entry.category is None:
            confidence = _CONFIDENCE_HINTED_ROUTE
        confidence = round(confidence - _CONFIDENCE_PER_EDIT * mention.edits, 2)
        span = doc[mention.start : mention.end]
        out.append(
            Extracted(
                entity="medication",
                start=span.start_char,
                end=span.end_char,
                text=span.text,
                value=entry.generic,
                role=category,
                confidence=confidence,
                status=status,
                form=form,
                fuzzy=mention.edits > 0,
            )
        )
    return out


def _exact_mentions(doc: Doc, lexicon: Lexicon) -> tuple[list[_Mention], dict[int, Form]]:
    mentions: list[_Mention] = []
    forms: dict[int, Form] = {}
    for ent in doc.ents:
        if ent.label_ == MEDICATION_LABEL:
            term = lexicon.terms.get(ent.ent_id_)
            if term is not None:
                mentions.append(_Mention(ent.start, ent.end, term))
        elif ent.label_ == FORM_LABEL:
            for i in range(ent.start, ent.end):
                forms[i] = _as_form(ent.ent_id_)
    return mentions, forms


def _fuzzy_mentions(
    doc: Doc,
    lexicon: Lexicon,
    fuzzy: FuzzyIndex,
    english_words: Container[str],
    exact: Sequence[_Mention],
    forms: dict[int, Form],
) -> list[_Mention]:
    taken = {i for m in exact for i in range(m.start, m.end)} | set(forms)
    found: list[_Mention] = []
    for token in doc:
        if token.i in taken or not token.is_alpha or token.is_stop:
            continue
        word = token.lower_
        if len(word) < fuzzy.min_length or word in english_words:
            continue
        match = fuzzy.lookup(word)
        if match is not None:
            term_key, edits = match
            found.append(_Mention(token.i, token.i + 1, lexicon.terms[term_key], edits))
    return found


def _excluded_by_next_word(doc: Doc, lexicon: Lexicon, mention: _Mention) -> bool:
    unless = lexicon.entries[mention.term.generic].unless_followed_by
    return bool(unless) and mention.end < len(doc) and doc[mention.end].lower_ in unless


def _resolve_form(
    doc: Doc,
    norms: Sequence[str],
    mention: _Mention,
    forms: dict[int, Form],
    mention_tokens: set[int],
) -> tuple[Form | None, bool]:
    """Return (form, from_context): explicit form word > brand's form > dose/verb hints."""
    hint: Form | None = None
    for i in range(mention.end, min(len(doc), mention.end + _FORM_WINDOW_AFTER + 1)):
        if i in mention_tokens or norms[i] in _STOPPERS:
            break
        if i in forms:
            return forms[i], True
        word = norms[i]
        if hint is None and word in _TOPICAL_HINTS:
            hint = "topical"
        elif hint is None and word in _ORAL_HINTS:
            hint = "oral"
        if not (word in _DOSE_WORDS or doc[i].like_num):
            break
    seen = 0
    for i in range(mention.start - 1, -1, -1):
        if i in mention_tokens or norms[i] in _STOPPERS:
            break
        if i in forms:
            return forms[i], True
        if norms[i] in _DETERMINERS:
            continue
        seen += 1
        if seen >= _FORM_WINDOW_BEFORE:
            break
    if mention.term.form is not None:
        return mention.term.form, False
    if hint is not None:
        return hint, True
    for i in range(mention.start - 1, max(-1, mention.start - 6), -1):
        if norms[i] in _STOPPERS:
            break
        if norms[i] in _APPLY_VERBS:
            return "topical", True
    return None, False


def _as_form(value: str) -> Form:
    for form in FORMS:
        if form == value:
            return form
    raise ValueError(f"unknown form {value!r}")
