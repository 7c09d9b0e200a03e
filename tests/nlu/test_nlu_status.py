"""Negation and time: current / past / never for each medication mention."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.nlu.status import TimeMark, assign_statuses, normalise_tokens
from bot.nlu.types import Extracted

Run = Callable[..., list[Extracted]]


def _statuses(run: Run, text: str) -> list[tuple[str | int, str | None]]:
    return [(e.value, e.status) for e in run(text, "medication")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the examples
        ("never took methotrexate", [("methotrexate", "never")]),
        ("I stopped prednisone last year", [("prednisone", "past")]),
        (
            "I've been on prednisone and CellCept since last spring",
            [("prednisone", "current"), ("mycophenolate", "current")],
        ),
        (
            "tried Protopic and clobetasol, nothing helped",
            [("tacrolimus", "past"), ("clobetasol", "past")],
        ),
        # negation
        ("I haven't tried any JAK inhibitors", [("jak inhibitor", "never")]),
        ("Im not on any steroids", [("corticosteroid", "never")]),
        ("No rituximab", [("rituximab", "never")]),
        (
            "I've taken neither methotrexate nor azathioprine",
            [("methotrexate", "never"), ("azathioprine", "never")],
        ),
        ("I dont think Ive ever had cyclosporine", [("cyclosporine", "never")]),
        ("I refused the methotrexate", [("methotrexate", "never")]),
        ("Chlorambucil? no never", [("chlorambucil", "never")]),
        # negation that means it was used before
        ("I'm not taking methotrexate anymore", [("methotrexate", "past")]),
        ("I no longer take hydroxychloroquine", [("hydroxychloroquine", "past")]),
        ("Haven't had prednisone since 2020", [("prednisone", "past")]),
        ("Diprolene didn't help", [("betamethasone", "past")]),
        ("no more prednisone for me", [("prednisone", "past")]),
        # negation that means it is still taken
        ("I haven't stopped my CellCept", [("mycophenolate", "current")]),
        ("no side effects from the methotrexate so far", [("methotrexate", "current")]),
        # negation that does not reach the mention
        ("I didn't have any problems with CellCept", [("mycophenolate", None)]),
        # time and verbs
        ("I used to take Medrol", [("methylprednisolone", "past")]),
        ("stopped taking Otrexup in March", [("methotrexate", "past")]),
        ("Rituximab infusions in 2022", [("rituximab", "past")]),
        ("Octagam since August", [("immune globulin", "current")]),
        ("prednisone 5mg daily", [("prednisone", "current")]),
        ("im still tapering off prednisone", [("prednisone", "current")]),
        ("I started CellCept last fall", [("mycophenolate", "current")]),
        (
            "I switched from Privigen to Octagam",
            [("immune globulin", "past"), ("immune globulin", "current")],
        ),
        # clauses: each mention gets its own status
        (
            "I take Plaquenil but stopped prednisone in March",
            [("hydroxychloroquine", "current"), ("prednisone", "past")],
        ),
        (
            "I take Plaquenil and never took methotrexate",
            [("hydroxychloroquine", "current"), ("methotrexate", "never")],
        ),
        (
            "I was on CellCept and Plaquenil, now just Plaquenil",
            [
                ("mycophenolate", "past"),
                ("hydroxychloroquine", "past"),
                ("hydroxychloroquine", "current"),
            ],
        ),
        # a later clause about "it"
        ("Elidel stung a lot, I don't use it anymore", [("pimecrolimus", "past")]),
        ("My derm prescribed Protopic but I haven't started it yet", [("tacrolimus", "never")]),
        # no status when the text does not say, or is unsure / about the future
        ("Jakafi for my myelofibrosis", [("ruxolitinib", None)]),
        ("my doctor wants to start me on Xeljanz", [("tofacitinib", None)]),
        ("Not sure if I took azathioprine, it was a long time ago", [("azathioprine", None)]),
        ("what about people on Plaquenil, can they join?", [("hydroxychloroquine", None)]),
        # questions about stopping a current medicine
        ("Do I have to stop my prednisone?", [("prednisone", "current")]),
    ],
)
def test_status(run: Run, text: str, expected: list[tuple[str, str | None]]) -> None:
    assert _statuses(run, text) == expected


def test_status_module_works_on_plain_tokens_without_spacy() -> None:
    tokens = normalise_tokens(["I", "never", "took", "X", "but", "I", "take", "Y", "now"])
    assert assign_statuses(tokens, [(3, 4), (7, 8)]) == ["never", "current"]


def test_contractions_split_without_apostrophe_are_expanded() -> None:
    assert normalise_tokens(["I", "m", "on"]) == ["i", "am", "on"]
    assert normalise_tokens(["I", "ve", "been"]) == ["i", "have", "been"]


def test_time_marks_give_a_status_when_no_verb_does() -> None:
    tokens = normalise_tokens(["X", "in", "2019", ",", "Y", "since", "2021"])
    marks = [TimeMark(1, "ago"), TimeMark(5, "since")]
    assert assign_statuses(tokens, [(0, 1), (4, 5)], marks) == ["past", "current"]
