"""Medication names: generic vs brand, route (ointment vs pills), typos, false positives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.nlu.types import Extracted

Run = Callable[..., list[Extracted]]

# Every name the issue lists, with the generic and category it must resolve to.
ISSUE_NAMES = [
    ("prednisone", "prednisone", "systemic_corticosteroid"),
    ("prednisolone", "prednisolone", "systemic_corticosteroid"),
    ("methylprednisolone", "methylprednisolone", "systemic_corticosteroid"),
    ("Medrol", "methylprednisolone", "systemic_corticosteroid"),
    ("dexamethasone", "dexamethasone", "systemic_corticosteroid"),
    ("steroid pills", "corticosteroid", "systemic_corticosteroid"),
    ("steroid shots", "corticosteroid", "systemic_corticosteroid"),
    ("methotrexate", "methotrexate", "steroid_sparing"),
    ("Trexall", "methotrexate", "steroid_sparing"),
    ("Otrexup", "methotrexate", "steroid_sparing"),
    ("mycophenolate", "mycophenolate", "steroid_sparing"),
    ("CellCept", "mycophenolate", "steroid_sparing"),
    ("Myfortic", "mycophenolate", "steroid_sparing"),
    ("azathioprine", "azathioprine", "steroid_sparing"),
    ("Imuran", "azathioprine", "steroid_sparing"),
    ("hydroxychloroquine", "hydroxychloroquine", "steroid_sparing"),
    ("Plaquenil", "hydroxychloroquine", "steroid_sparing"),
    ("IVIG", "immune globulin", "steroid_sparing"),
    ("Gamunex", "immune globulin", "steroid_sparing"),
    ("Privigen", "immune globulin", "steroid_sparing"),
    ("Octagam", "immune globulin", "steroid_sparing"),
    ("cyclosporine", "cyclosporine", "steroid_sparing"),
    ("oral tacrolimus", "tacrolimus", "steroid_sparing"),
    ("Prograf", "tacrolimus", "steroid_sparing"),
    ("cyclophosphamide", "cyclophosphamide", "steroid_sparing"),
    ("Cytoxan", "cyclophosphamide", "steroid_sparing"),
    ("chlorambucil", "chlorambucil", "steroid_sparing"),
    ("sirolimus", "sirolimus", "steroid_sparing"),
    ("Rapamune", "sirolimus", "steroid_sparing"),
    ("rituximab", "rituximab", "steroid_sparing"),
    ("Rituxan", "rituximab", "steroid_sparing"),
    ("clobetasol", "clobetasol", "topical_corticosteroid"),
    ("triamcinolone", "triamcinolone", "topical_corticosteroid"),
    ("betamethasone", "betamethasone", "topical_corticosteroid"),
    ("hydrocortisone cream", "hydrocortisone", "topical_corticosteroid"),
    ("steroid cream", "corticosteroid", "topical_corticosteroid"),
    ("tacrolimus ointment", "tacrolimus", "topical_calcineurin_inhibitor"),
    ("Protopic", "tacrolimus", "topical_calcineurin_inhibitor"),
    ("pimecrolimus", "pimecrolimus", "topical_calcineurin_inhibitor"),
    ("Elidel", "pimecrolimus", "topical_calcineurin_inhibitor"),
    ("tofacitinib", "tofacitinib", "jak_inhibitor"),
    ("Xeljanz", "tofacitinib", "jak_inhibitor"),
    ("ruxolitinib", "ruxolitinib", "jak_inhibitor"),
    ("Opzelura", "ruxolitinib", "jak_inhibitor"),
    ("Jakafi", "ruxolitinib", "jak_inhibitor"),
    ("baricitinib", "baricitinib", "jak_inhibitor"),
    ("upadacitinib", "upadacitinib", "jak_inhibitor"),
    ("dapsone", "dapsone", "other"),
]


def _meds(run: Run, text: str) -> list[tuple[str | int, str | None]]:
    return [(e.value, e.role) for e in run(text, "medication")]


@pytest.mark.parametrize(("name", "generic", "category"), ISSUE_NAMES)
def test_every_issue_name_resolves_to_its_generic_and_category(
    run: Run, name: str, generic: str, category: str
) -> None:
    assert _meds(run, f"my doctor mentioned {name} last visit") == [(generic, category)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I take CellCept", [("mycophenolate", "steroid_sparing")]),
        ("I take mycophenolate mofetil", [("mycophenolate", "steroid_sparing")]),
        ("cellcept and CELLCEPT and Cell Cept", [("mycophenolate", "steroid_sparing")] * 3),
        (
            "Was on rituximab (Rituxan) for a year",
            [("rituximab", "steroid_sparing"), ("rituximab", "steroid_sparing")],
        ),
        ("Solu-Medrol in the hospital", [("methylprednisolone", "systemic_corticosteroid")]),
        ("Gamunex-C every month", [("immune globulin", "steroid_sparing")]),
    ],
)
def test_brand_and_generic_names(run: Run, text: str, expected: list[tuple[str, str]]) -> None:
    assert _meds(run, text) == expected


@pytest.mark.parametrize(
    ("text", "category", "form"),
    [
        ("tacrolimus ointment on my eyelids", "topical_calcineurin_inhibitor", "topical"),
        ("I take tacrolimus pills for my lungs", "steroid_sparing", "oral"),
        ("tacrolimus capsules twice a day", "steroid_sparing", "oral"),
        ("tacrolimus 0.1% on my face", "topical_calcineurin_inhibitor", "topical"),
        ("tacrolimus 1mg twice a day", "steroid_sparing", "oral"),
        ("topical tacrolimus", "topical_calcineurin_inhibitor", "topical"),
        ("oral tacrolimus for ILD", "steroid_sparing", "oral"),
        ("I rub tacrolimus on my hands", "topical_calcineurin_inhibitor", "topical"),
        ("Prograf 2mg", "steroid_sparing", "oral"),
        ("Protopic", "topical_calcineurin_inhibitor", "topical"),
        ("steroid cream on my scalp", "topical_corticosteroid", "topical"),
        ("steroid pills", "systemic_corticosteroid", "oral"),
        ("steroid shots", "systemic_corticosteroid", "injection"),
        ("IV steroids in the hospital", "systemic_corticosteroid", "infusion"),
        ("steroids by mouth", "systemic_corticosteroid", "oral"),
        ("hydrocortisone cream", "topical_corticosteroid", "topical"),
        ("hydrocortisone tablets for my adrenals", "systemic_corticosteroid", "oral"),
        ("a Kenalog shot in my hip", "systemic_corticosteroid", "injection"),
        ("Kenalog cream", "topical_corticosteroid", "topical"),
    ],
)
def test_form_words_decide_route_dependent_categories(
    run: Run, text: str, category: str, form: str
) -> None:
    (med,) = run(text, "medication")
    assert (med.role, med.form) == (category, form)


def test_form_words_stop_at_the_next_medication(run: Run) -> None:
    found = run("Protopic ointment and hydrocortisone tablets", "medication")
    assert [(e.value, e.role, e.form) for e in found] == [
        ("tacrolimus", "topical_calcineurin_inhibitor", "topical"),
        ("hydrocortisone", "systemic_corticosteroid", "oral"),
    ]


def test_route_left_open_uses_the_default_with_lower_confidence(run: Run) -> None:
    (med,) = run("I take tacrolimus", "medication")
    assert (med.role, med.form) == ("topical_calcineurin_inhibitor", None)
    assert med.confidence < 1.0


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        # listed in the lexicon
        ("been on methotrexat for a year", "methotrexate"),
        ("i am on plaquinel", "hydroxychloroquine"),
        ("predisone 20mg", "prednisone"),
        ("cellsept twice a day", "mycophenolate"),
        # not listed: caught by the fuzzy matcher
        ("I take prednisome every morning", "prednisone"),
        ("been on metrotrexate", "methotrexate"),
        ("Tried hydroxychloriquine", "hydroxychloroquine"),
        ("Protopick didn't do anything", "tacrolimus"),
        ("I had Rituxin infusions", "rituximab"),
        ("Methylprednisolne in the ER", "methylprednisolone"),
        ("azathiprine 100 mg", "azathioprine"),
        ("I'm on Plaquenik", "hydroxychloroquine"),
        ("mycophenolatte", "mycophenolate"),
        ("PREDNISOME", "prednisone"),
    ],
)
def test_misspellings(run: Run, text: str, generic: str) -> None:
    (med,) = run(text, "medication")
    assert med.value == generic


def test_fuzzy_matches_are_flagged_and_less_confident(run: Run) -> None:
    (exact,) = run("I take prednisone", "medication")
    (typo,) = run("I take prednisome", "medication")
    assert not exact.fuzzy and exact.confidence == 1.0
    assert typo.fuzzy and typo.confidence < exact.confidence


@pytest.mark.parametrize(
    "text",
    [
        "Protein shakes and a lot of water",
        "I have calcium deposits in my elbows",
        "my vitamin D levels are low",
        "insulin resistance runs in my family",
        "I take my pills every morning with breakfast",
        "the cream the study uses",
        "I'm on a waiting list for a rheumatologist",
        "my medical records are at the clinic",
        "I was predicted to get worse",
        "the protocol says two visits a month",
        "I won a medal in track",
        "Mediterranean diet mostly",
        "I live in Medina",
    ],
)
def test_no_medication_in_ordinary_words(run: Run, text: str) -> None:
    assert run(text, "medication") == []


def test_offsets_point_at_the_mention(run: Run) -> None:
    text = "I’m on Plaquenil and cellcept"
    found = run(text, "medication")
    assert [text[e.start : e.end] for e in found] == ["Plaquenil", "cellcept"]
    assert [e.text for e in found] == ["Plaquenil", "cellcept"]
