"""Decide whether each medication mention is current, past or never taken.

Works on lower-cased token norms (spaCy's NORM maps "n't" to "not" and "'m" to "am") so it
is plain Python and testable on its own. The rules, in order, for a mention in a clause:

1. a negation before it within a few words ("never took", "not on", "no X") -> never,
   or past with "anymore" / "no longer" / "since", or current for "haven't stopped";
2. an uncertainty cue before it ("not sure if", "what about") -> no status;
3. a future cue just before it ("wants to start me on") -> no status;
4. the nearest status cue before it ("I'm on", "stopped", "tried", "used to");
5. otherwise the nearest cue after it ("X, stopped it", "X didn't help", "X daily");
6. otherwise a time phrase in the clause ("in 2019" -> past, "since March" -> current).

A later clause about "it" ("..., I don't use it anymore") gives its status to mentions
left without one. Clauses end at sentence punctuation, "but"/"because"/..., and at a comma
or "and" that starts a new statement ("..., now just Plaquenil").

Over 300 lines on purpose: the six rules above share the clause splitter and the cue lists,
and are only checked together (tests/nlu); split, each rule would import the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.types import Status

_PHRASES: dict[str, tuple[str, ...]] = {
    "current": (
        "take", "takes", "taking", "use", "uses", "using", "apply", "applies", "applying",
        "rub", "rubbing", "am on", "are on", "is on", "been on", "been taking", "been using",
        "been applying", "been getting", "been receiving", "currently", "current", "now",
        "still", "right now", "at the moment", "at present", "these days", "nowadays", "get",
        "gets", "getting", "receive", "receives", "receiving", "inject", "injecting",
        "continue", "continuing", "keep taking", "stay on", "staying on", "remain on",
        "increased", "raised", "lowered", "reduced", "decreased", "upped", "bumped",
        "went up", "gone up", "going down", "tapering", "tapering off", "weaning",
        "weaning off", "taper", "so far",
        "to stop", "to quit", "to come off", "to go off", "has me on", "has me using",
        "have me on", "just", "only", "putting", "been putting", "on and off", "off and on",
    ),
    "start": (
        "started", "start", "starting", "began", "begun", "restarted", "switched to",
        "changed to", "added", "put me on", "was put on",
    ),
    "freq": (
        "daily", "weekly", "nightly", "monthly", "every", "each day", "each week",
        "twice a", "twice daily", "twice weekly", "once a", "once daily", "once weekly",
        "three times a", "bid", "tid", "qd", "qid", "per day", "a day",
    ),
    "past": (
        "tried", "trialed", "trialled", "failed", "was on", "were on", "had been on",
        "had been taking", "had been using", "had", "have had", "has had", "took", "used",
        "used to", "used to take", "used to use", "used to be on", "used to apply", "use to",
        "was taking", "were taking", "was using", "was given", "were given", "gave", "given",
        "got", "did", "finished", "completed", "ran out of", "ran out", "previously",
        "formerly", "in the past", "back then", "my last", "last dose", "last time",
        "did nothing", "done nothing", "when i was", "while i was",
    ),
    "stop": (
        "stopped", "stop", "stops", "quit", "quits", "discontinued", "came off", "went off",
        "got off", "taken off", "took me off", "taken me off", "weaned off", "weaned",
        "tapered off", "tapered", "off", "was stopped", "were stopped", "had to stop",
        "had to quit", "made me stop", "decided to stop", "told me to stop", "no more",
        "gave up",
    ),
    "never": ("refused", "declined", "turned down", "said no to"),
    "neg": (
        "never", "not", "nor", "neither", "none", "without", "do not", "does not",
        "did not", "have not", "has not", "had not", "am not", "is not", "are not",
        "was not", "were not", "can not", "could not", "would not", "will not",
        "should not",
    ),
    "neg_strict": ("no",),
    "neg_past": ("no longer", "not anymore", "not any more"),
    "future": (
        "want to", "wants to", "wanted to", "going to", "gonna", "will", "plan to",
        "plans to", "planning to", "thinking about", "thinking of", "considering", "might",
        "about to", "to start", "to try", "may start", "may try", "next",
    ),
    "uncertain": (
        "not sure", "unsure", "do not know", "do not remember", "can not remember",
        "can not recall", "do not recall", "what about", "how about", "if", "whether",
        "heard of",
    ),
    "switch": (
        "switched from", "switched me from", "changed from", "changed me from", "moved from",
        "went from", "switched over from",
    ),
    "effect": (
        "nothing helped", "nothing worked", "neither worked", "neither helped", "none worked",
        "none helped", "none of them worked", "did not help", "did not work",
        "did not do anything", "did not do much", "does not help", "does not work",
    ),
    "on": ("on",),
    "my": ("my",),
    "ago": ("ago", "back"),
}  # fmt: skip

_STATUS_OF_KIND: dict[str, Status | None] = {
    "current": "current",
    "start": "current",
    "freq": "current",
    "past": "past",
    "stop": "past",
    "never": "never",
    "effect": "past",
    "switch": "past",
    "on": "current",
    "my": "current",
    "ago": "past",
    "future": None,
    "uncertain": None,
}
_NEG_KINDS = frozenset({"neg", "neg_strict", "neg_past"})
_LEFT_ONLY = frozenset({"on", "my"})
_RIGHT_ONLY = frozenset({"ago"})

# Verbs that make "X? never" / "X - not tried" a never, and words that make "X didn't help"
# a past use.
_TAKE_WORDS = frozenset(
    "take took taken tried try use used been on had start started get got gotten open "
    "opened fill filled receive received".split()
)
_EFFECT_WORDS = frozenset(
    "help helps helped work works worked do did much anything improve improved clear "
    "cleared touch change difference".split()
)
# Words that end the reach of a negation ("no side effects from X", "not sure but X").
_NEG_TERMINATORS = frozenset(
    "with from after because since about when while until than that which who but just "
    "only side effects problems issues".split()
)
_STRICT_FILLERS = frozenset("more other oral topical systemic iv daily current the any my".split())
_ON_FILLERS = frozenset(
    "my the a an some oral topical iv low high dose of mg just only both and , % " "generic".split()
)
_SKIP_IN_GAPS = frozenset({",", "and", "or", "-", "(", ")", "/", "&"})
_PAST_WITH_NEG = frozenset({"anymore", "longer", "since", "again"})
_PAST_WITH_NEG_SPANS = ("in months", "in years", "in weeks", "in ages", "in a while", "any more")

_HARD_BOUNDARIES = frozenset(
    ". ! ? ; \n but though although however whereas except because cause cuz bc".split()
)
_PRONOUNS = frozenset("i we he she they it which who".split())
_AFTER_COMMA = _PRONOUNS | frozenset(
    "now then currently still also later so only just never not no nor neither none have "
    "has had was were did do does am is are tried stopped quit took used started take "
    "taking use using got get been nothing finally".split()
)
_AFTER_AND = _PRONOUNS | frozenset(
    "never not no stopped quit took tried used started take still".split()
)
_ANAPHORS = frozenset("it them those these both".split())
_ELLIPSIS_GLUE = frozenset(", and then so - also".split())
_ELLIPTICAL_KINDS = frozenset({"stop", "past", "start", "current"})
_SENTENCE_ENDS = frozenset(". ! ? \n".split())
_CONTRACTIONS = {"m": "am", "ve": "have", "ll": "will", "re": "are"}


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class TimeMark:
    """A duration found in the text: its first token and "ago" / "for" / "since"."""

    token: int
    kind: str


def _index_phrases() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for kind, phrases in _PHRASES.items():
        for phrase in phrases:
            words = tuple(phrase.split())
            index.setdefault(words[0], []).append((words, kind))
    for base in ("stopped", "stop", "quit", "tried", "started", "start", "discontinued"):
        kind = next(k for k, v in _PHRASES.items() if base in v)
        for verb in ("taking", "using", "applying", "getting"):
            index.setdefault(base, []).append(((base, verb), kind))
    for options in index.values():
        options.sort(key=lambda item: -len(item[0]))
    return index


_INDEX = _index_phrases()


def normalise_tokens(words: Sequence[str]) -> list[str]:
    """Lower-case token norms, expanding "Im"/"Ive" splits that spaCy leaves as "m"/"ve"."""
    out: list[str] = []
    for i, word in enumerate(words):
        w = word.lower()
        if w in _CONTRACTIONS and i > 0 and out[-1] in _PRONOUNS:
            w = _CONTRACTIONS[w]
        out.append(w)
    return out


def assign_statuses(
    tokens: Sequence[str],
    mentions: Sequence[tuple[int, int]],
    time_marks: Sequence[TimeMark] = (),
) -> list[Status | None]:
    """Status for each mention (token spans [start, end)) in ``tokens`` (normalised)."""
    in_mention = [False] * len(tokens)
    for start, end in mentions:
        for i in range(start, end):
            in_mention[i] = True
    cues = _find_cues(tokens, in_mention)
    clauses = _clauses(tokens, in_mention)
    clause_of = _clause_index(clauses, len(tokens))
    results: list[Status | None] = []
    decided: list[bool] = []
    for start, end in mentions:
        c_start, c_end = clauses[clause_of[start]]
        status, explicit = _status(tokens, in_mention, cues, start, end, c_start, c_end)
        if status is None and not explicit:
            status = _from_time(time_marks, mentions, start, end, c_start, c_end)
        results.append(status)
        decided.append(status is not None or explicit)
    _resolve_anaphora(tokens, in_mention, cues, clauses, clause_of, mentions, results, decided)
    return results


def _find_cues(tokens: Sequence[str], in_mention: Sequence[bool]) -> list[Cue]:
    cues: list[Cue] = []
    i = 0
    while i < len(tokens):
        if in_mention[i]:
            i += 1
            continue
        for words, kind in _INDEX.get(tokens[i], ()):
            end = i + len(words)
            if end <= len(tokens) and tuple(tokens[i:end]) == words:
                if not any(in_mention[i:end]):
                    cues.append(Cue(i, end, kind))
                    i = end
                    break
        else:
            i += 1
    return cues


def _clauses(tokens: Sequence[str], in_mention: Sequence[bool]) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, tok in enumerate(tokens):
        if in_mention[i]:
            continue
        cut_before = False
        if tok in _HARD_BOUNDARIES:
            bounds.append((start, i))
            start = i + 1
            continue
        if i > 0 and not in_mention[i - 1]:
            prev = tokens[i - 1]
            if prev in (",", "-", ":") and tok in _AFTER_COMMA:
                cut_before = True
            elif prev == "and" and tok in _AFTER_AND:
                cut_before = True
        if cut_before and i > start:
            bounds.append((start, i))
            start = i
    bounds.append((start, len(tokens)))
    return bounds


def _clause_index(clauses: Sequence[tuple[int, int]], n: int) -> list[int]:
    index = [0] * max(n, 1)
    for ci, (start, end) in enumerate(clauses):
        for i in range(start, min(end + 1, n)):
            index[i] = ci
    return index


def _gap(tokens: Sequence[str], in_mention: Sequence[bool], start: int, end: int) -> list[str]:
    """Words strictly between two positions, ignoring other mentions and list glue."""
    return [
        tokens[i] for i in range(start, end) if not in_mention[i] and tokens[i] not in _SKIP_IN_GAPS
    ]


def _status(
    tokens: Sequence[str],
    in_mention: Sequence[bool],
    cues: Sequence[Cue],
    m_start: int,
    m_end: int,
    c_start: int,
    c_end: int,
) -> tuple[Status | None, bool]:
    """Return (status, explicit) where explicit means a cue deliberately left it open."""
    left = [c for c in cues if c_start <= c.start and c.end <= m_start]
    right = [c for c in cues if m_end <= c.start and c.end <= c_end]
    negated = _negation(tokens, in_mention, cues, left, m_start, c_start, c_end)
    if negated is not None:
        return negated, False
    if any(c.kind == "uncertain" for c in left):
        return None, True
    for cue in reversed(left):
        if cue.kind == "future" and len(_gap(tokens, in_mention, cue.end, m_start)) <= 4:
            return None, True
    for cue in reversed(left):
        if cue.kind in _RIGHT_ONLY or cue.kind in _NEG_KINDS:
            continue
        between = _gap(tokens, in_mention, cue.end, m_start)
        if cue.kind == "on" and any(w not in _ON_FILLERS and not _is_number(w) for w in between):
            continue
        if cue.kind == "my" and between:
            continue
        if cue.kind == "start" and any(c.kind == "stop" for c in right):
            return "past", False
        if cue.kind == "switch":
            prior = [w for w in between if w not in ("the", "my")]
            return ("current" if prior[-1:] == ["to"] else "past"), False
        status = _STATUS_OF_KIND.get(cue.kind)
        return status, status is None
    for cue in right:
        if cue.kind in _LEFT_ONLY:
            continue
        if cue.kind in _NEG_KINDS:
            return _right_negation(tokens, in_mention, cue, c_end), False
        status = _STATUS_OF_KIND.get(cue.kind)
        return status, status is None
    return None, False


def _negation(
    tokens: Sequence[str],
    in_mention: Sequence[bool],
    cues: Sequence[Cue],
    left: Sequence[Cue],
    m_start: int,
    c_start: int,
    c_end: int,
) -> Status | None:
    for cue in reversed(left):
        if cue.kind not in _NEG_KINDS:
            continue
        between = _gap(tokens, in_mention, cue.end, m_start)
        if any(w in _NEG_TERMINATORS for w in between):
            return None
        if cue.kind == "neg_strict":
            if len(between) > 2 or any(w not in _STRICT_FILLERS for w in between):
                continue
            return "past" if "more" in between else "never"
        window = 8 if tokens[cue.start] == "never" else 5
        if len(between) > window:
            continue
        clause_words = set(tokens[c_start:c_end])
        clause_text = " ".join(tokens[c_start:c_end])
        if (
            cue.kind == "neg_past"
            or clause_words & _PAST_WITH_NEG
            or any(span in clause_text for span in _PAST_WITH_NEG_SPANS)
        ):
            return "past"
        if any(c.kind == "stop" and cue.end <= c.start and c.end <= m_start for c in cues):
            return "current"
        return "never"
    return None


def _right_negation(
    tokens: Sequence[str], in_mention: Sequence[bool], cue: Cue, c_end: int
) -> Status | None:
    if cue.kind == "neg_past":
        return "past"
    following = _gap(tokens, in_mention, cue.end, c_end)[:2]
    if not following or any(w in _TAKE_WORDS for w in following):
        return "never"
    if any(w in _EFFECT_WORDS for w in following):
        return "past"
    return None


def _from_time(
    marks: Sequence[TimeMark],
    mentions: Sequence[tuple[int, int]],
    m_start: int,
    m_end: int,
    c_start: int,
    c_end: int,
) -> Status | None:
    """Status from the time phrase that belongs to this mention: the first one after it
    (before the next mention), else the nearest one in its clause."""
    next_start = min((s for s, _ in mentions if s >= m_end), default=c_end)
    in_clause = [m for m in marks if c_start <= m.token < c_end]
    after = [m for m in in_clause if m_end <= m.token < next_start]
    ranked = after or sorted(in_clause, key=lambda m: abs(m.token - m_start))
    for mark in ranked:
        if mark.kind == "ago":
            return "past"
        if mark.kind == "since":
            return "current"
    return None


def _resolve_anaphora(
    tokens: Sequence[str],
    in_mention: Sequence[bool],
    cues: Sequence[Cue],
    clauses: Sequence[tuple[int, int]],
    clause_of: Sequence[int],
    mentions: Sequence[tuple[int, int]],
    results: list[Status | None],
    decided: list[bool],
) -> None:
    """Give "..., I don't use it anymore" to the mentions before it that have no status."""
    mention_clauses = {clause_of[start] for start, _ in mentions}
    for ci, (c_start, c_end) in enumerate(clauses):
        if ci in mention_clauses or c_start >= c_end:
            continue
        status, bare_answer = _anaphoric_status(tokens, in_mention, cues, c_start, c_end)
        if status is None:
            continue
        for mi, (start, _end) in enumerate(mentions):
            if decided[mi] or clause_of[start] >= ci:
                continue
            # "Chlorambucil? no never" answers across the question mark; "it" does not.
            previous_clause_only = bare_answer and clause_of[start] == ci - 1
            if _crosses_sentence(tokens, start, c_start) and not previous_clause_only:
                continue
            results[mi] = status
            decided[mi] = True


def _anaphoric_status(
    tokens: Sequence[str],
    in_mention: Sequence[bool],
    cues: Sequence[Cue],
    c_start: int,
    c_end: int,
) -> tuple[Status | None, bool]:
    """Status a mention-less clause gives back to earlier mentions, and whether it is a
    bare answer ("no never") rather than a statement about "it"."""
    words = [w for w in tokens[c_start:c_end] if w not in _SKIP_IN_GAPS]
    if words and all(w in ("no", "never", "nope", "not", "none") for w in words):
        return "never", True
    for i in range(c_start, c_end):
        if tokens[i] in _ANAPHORS:
            status, _ = _status(tokens, in_mention, cues, i, i + 1, c_start, c_end)
            if status == "never" and _negates_other_verb(tokens, cues, c_start, i):
                continue  # "..., I'm not changing it": about the dose, not about taking it
            if status is not None:
                return status, False
    clause_cues = [c for c in cues if c_start <= c.start and c.end <= c_end]
    if any(c.kind == "effect" for c in clause_cues):
        return "past", False
    # A clause with no subject continues the previous one: "X, stopped after 6 weeks",
    # "X for 3 years, then switched to shots".
    lead = next((i for i in range(c_start, c_end) if tokens[i] not in _ELLIPSIS_GLUE), c_end)
    first = next((c for c in clause_cues if c.start == lead), None)
    if first is not None and first.kind in _ELLIPTICAL_KINDS:
        return _STATUS_OF_KIND[first.kind], False
    for cue in clause_cues:
        if cue.kind in _NEG_KINDS:
            following = _gap(tokens, in_mention, cue.end, c_end)[:2]
            if any(w in _EFFECT_WORDS for w in following):
                return "past", False
    return None, False


def _negates_other_verb(tokens: Sequence[str], cues: Sequence[Cue], c_start: int, at: int) -> bool:
    """A negation before "it" whose verb is not one of taking it ("not changing it", "don't
    want to stop it"), so "it" was not said to be never taken."""
    negs = [c for c in cues if c.kind in _NEG_KINDS and c_start <= c.start and c.end <= at]
    if not negs:
        return False
    between = [w for w in tokens[negs[-1].end : at] if w not in _SKIP_IN_GAPS]
    return any(w not in _TAKE_WORDS and w not in _ANAPHOR_FILLERS for w in between)


_ANAPHOR_FILLERS = frozenset(
    "using taking applying use take apply on really even ever yet been tried".split()
)


def _crosses_sentence(tokens: Sequence[str], start: int, end: int) -> bool:
    return any(tokens[i] in _SENTENCE_ENDS for i in range(start, end))


def _is_number(word: str) -> bool:
    return word.replace(".", "", 1).isdigit()
