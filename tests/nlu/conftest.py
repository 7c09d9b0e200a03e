"""Shared fixtures for the bot.nlu tests: one extractor per session, a fixed "today"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.nlu.extract import MedicalExtractor
from bot.nlu.types import Extracted

Run = Callable[..., list[Extracted]]


@pytest.fixture(scope="session")
def today() -> date:
    return date(2025, 11, 10)


@pytest.fixture(scope="session")
def extractor() -> MedicalExtractor:
    return MedicalExtractor.build()


@pytest.fixture(scope="session")
def run(extractor: MedicalExtractor, today: date) -> Run:
    """run(text, entity=None, when=None) -> extracted items, optionally of one type."""

    def _run(text: str, entity: str | None = None, when: date | None = None) -> list[Extracted]:
        found = extractor.extract(text, when or today)
        return [e for e in found if entity is None or e.entity == entity]

    return _run
