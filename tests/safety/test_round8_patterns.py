"""Patterns added after safety v7's one blind scoring (2026-12-01, late; v7 is development data
since), each said here in other words than the set's, beside everyday messages that share
their words and must stay ordinary."""

from __future__ import annotations

import pytest

from bot import safety


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my little boy swallowed one of those coin batteries", "overdose"),
        ("i put a second pain patch on and forgot to take the old one off, so sleepy", "overdose"),
        ("my wife has been taking my prednisone by mistake all week", "overdose"),
        ("45. my dad just went limp in his chair", "emergency"),
        ("yes. my husband is very hard to wake this morning", "emergency"),
        ("lost control of my bladder and my legs feel weak", "emergency"),
        ("my skin is peeling off in sheets and i have a fever", "emergency"),
        ("my glucose monitor reads HI and i feel so drowsy", "emergency"),
        ("I ordered a rope today.", "crisis"),
        ("I relapsed and cut again last night", "crisis"),
        ("my brother texted that tonight is his last night", "crisis"),
    ],
)
def test_a_new_family_is_caught(text: str, kind: str) -> None:
    assert safety.assess(text).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "it's hard to wake up in the morning with this tiredness",
        "the remote needs a new battery",
        "is it ok to use the cream if I wear a nicotine patch",
        "my last night shift was hard on my skin",
    ],
)
def test_everyday_words_of_those_families_stay_ordinary(text: str) -> None:
    # Not here: "I bought some rope for the garden", which the classifier (not these
    # patterns) already read as a crisis before them; README, "Latest blind measures".
    assert safety.assess(text).kind is None
