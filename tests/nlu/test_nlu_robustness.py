"""Any text: extraction never raises, and every entity points at its own span."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.nlu.extract import MedicalExtractor

_WORDS = st.sampled_from(
    "I I'm I’m not never on off stopped take took prednisone CellCept tacrolimus ointment "
    "pills 52 fifty-two years old ago since March last spring a couple of weeks , . ? "
    "no it and but 3-4 months born 1971 x every daily plaquinel".split()
)
_TEXT = st.one_of(st.text(max_size=200), st.lists(_WORDS, max_size=30).map(" ".join))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_TEXT)
def test_extract_is_total_and_offsets_are_consistent(
    extractor: MedicalExtractor, today: date, text: str
) -> None:
    for item in extractor.extract(text, today):
        assert 0 <= item.start < item.end <= len(text)
        assert item.text == text[item.start : item.end]
        if item.entity == "medication":
            assert item.status in (None, "current", "past", "never")
        else:
            assert isinstance(item.value, int) and item.value >= 0
