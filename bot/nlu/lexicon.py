"""Load, validate and serialise the medication lexicon (data/lexicon/medications.yml)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from bot.nlu.types import FORMS, Form, route_of
from bot.nlu.types import LEXICON_PATH as DEFAULT_LEXICON_PATH

_ROUTES = ("topical", "systemic")


class LexiconError(ValueError):
    """The lexicon file is malformed."""


@dataclass(frozen=True)
class Entry:
    """One medicine (or class word such as "steroid") and how to categorise it."""

    generic: str
    category: str | None = None
    by_route: Mapping[str, str] | None = None
    default_route: str | None = None
    unless_followed_by: frozenset[str] = frozenset()

    def category_for(self, form: str | None) -> tuple[str, bool]:
        """Return (category, decided): decided is False when the default route was used."""
        if self.category is not None:
            return self.category, True
        assert self.by_route is not None and self.default_route is not None
        route = route_of(form)
        if route is None:
            return self.by_route[self.default_route], False
        return self.by_route[route], True


@dataclass(frozen=True)
class Term:
    """A surface form (lower-cased) pointing at an entry, possibly fixing the form."""

    generic: str
    form: Form | None = None


@dataclass
class Lexicon:
    entries: dict[str, Entry]
    terms: dict[str, Term]
    forms: dict[str, Form]
    sha256: str = ""

    def to_json(self) -> str:
        data = {
            "sha256": self.sha256,
            "entries": [
                {
                    "generic": e.generic,
                    "category": e.category,
                    "by_route": dict(e.by_route) if e.by_route else None,
                    "default_route": e.default_route,
                    "unless_followed_by": sorted(e.unless_followed_by),
                }
                for e in self.entries.values()
            ],
            "terms": {k: [t.generic, t.form] for k, t in self.terms.items()},
            "forms": self.forms,
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Lexicon:
        data = json.loads(text)
        entries = {
            e["generic"]: Entry(
                generic=e["generic"],
                category=e["category"],
                by_route=e["by_route"],
                default_route=e["default_route"],
                unless_followed_by=frozenset(e["unless_followed_by"]),
            )
            for e in data["entries"]
        }
        terms = {k: Term(generic=g, form=_form(f)) for k, (g, f) in data["terms"].items()}
        forms = {k: cast(Form, _form(f)) for k, f in data["forms"].items()}
        return cls(entries=entries, terms=terms, forms=forms, sha256=data["sha256"])


def normalise_term(text: str) -> str:
    """Lower-case and collapse whitespace; the key used for terms and form words."""
    return " ".join(text.replace("’", "'").lower().split())


def lexicon_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_lexicon(path: Path = DEFAULT_LEXICON_PATH) -> Lexicon:
    """Parse and validate the YAML lexicon."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise LexiconError(f"{path}: expected a mapping at top level")
    return parse_lexicon(raw, sha256=lexicon_sha256(path))


def parse_lexicon(raw: Mapping[str, Any], sha256: str = "") -> Lexicon:
    declared = tuple(raw.get("categories") or ())
    if not declared or not all(isinstance(c, str) and c.isidentifier() for c in declared):
        raise LexiconError(f"categories must list category ids, got {list(declared)}")
    forms = _parse_forms(raw.get("forms") or {})
    entries: dict[str, Entry] = {}
    terms: dict[str, Term] = {}
    for item in raw.get("medications") or ():
        entry = _parse_entry(item, declared)
        if entry.generic in entries:
            raise LexiconError(f"duplicate generic {entry.generic!r}")
        entries[entry.generic] = entry
        for text, form in _entry_terms(item):
            key = normalise_term(text)
            if key in forms:
                raise LexiconError(f"{key!r} is both a form word and a name of {entry.generic!r}")
            term = Term(generic=entry.generic, form=form)
            previous = terms.get(key)
            if previous is not None and previous != term:
                raise LexiconError(f"{key!r} maps to both {previous} and {term}")
            terms[key] = term
    if not entries:
        raise LexiconError("no medications in lexicon")
    return Lexicon(entries=entries, terms=terms, forms=forms, sha256=sha256)


def _form(value: object) -> Form | None:
    if value is None:
        return None
    if value not in FORMS:
        raise LexiconError(f"unknown form {value!r}; expected one of {FORMS}")
    return cast(Form, value)


def _parse_forms(raw: Mapping[str, Any]) -> dict[str, Form]:
    forms: dict[str, Form] = {}
    for name, words in raw.items():
        form = cast(Form, _form(name))
        for word in words:
            key = normalise_term(str(word))
            if forms.get(key, form) != form:
                raise LexiconError(f"form word {key!r} listed under two forms")
            forms[key] = form
    return forms


def _parse_entry(item: Mapping[str, Any], declared: tuple[str, ...]) -> Entry:
    generic = item.get("generic")
    if not isinstance(generic, str) or not generic.strip():
        raise LexiconError(f"entry without generic name: {item!r}")
    category = item.get("category")
    by_route = item.get("by_route")
    default_route = item.get("default_route")
    if (category is None) == (by_route is None):
        raise LexiconError(f"{generic}: give exactly one of category / by_route")
    if category is not None and category not in declared:
        raise LexiconError(f"{generic}: unknown category {category!r}")
    if by_route is not None:
        if set(by_route) != set(_ROUTES):
            raise LexiconError(f"{generic}: by_route needs keys {_ROUTES}")
        if any(c not in declared for c in by_route.values()):
            raise LexiconError(f"{generic}: unknown category in by_route")
        if default_route not in _ROUTES:
            raise LexiconError(f"{generic}: default_route must be one of {_ROUTES}")
    unless = frozenset(normalise_term(str(w)) for w in item.get("unless_followed_by") or ())
    return Entry(
        generic=normalise_term(generic),
        category=category,
        by_route=dict(by_route) if by_route else None,
        default_route=default_route,
        unless_followed_by=unless,
    )


def _entry_terms(item: Mapping[str, Any]) -> list[tuple[str, Form | None]]:
    generic = str(item["generic"])
    out: list[tuple[str, Form | None]] = [(generic, None)]
    for key in ("names", "brands", "misspellings"):
        for value in item.get(key) or ():
            if isinstance(value, Mapping):
                out.append((str(value["name"]), _form(value.get("form"))))
            else:
                out.append((str(value), None))
    return out
