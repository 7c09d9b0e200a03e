"""The TRIAL setting picks the trial folder; bot.content reads a trial's files from it and the
generic ones from bot/content/."""

from __future__ import annotations

import pytest

from bot import content
from bot.ops import settings


def test_the_default_trial_is_this_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIAL", raising=False)
    assert settings.trial_dir() == settings.ROOT / "trials" / "nct06857240"
    assert content.path("criteria") == settings.ROOT / "trials" / "nct06857240" / "criteria.yml"
    assert content.path("safety") == content.CONTENT_DIR / "safety.yml"


@pytest.mark.parametrize(
    ("value", "folder"),
    [
        ("nct06857240", "trials/nct06857240"),
        ("tests/fixtures/trials/demo-hand-eczema", "tests/fixtures/trials/demo-hand-eczema"),
    ],
)
def test_trial_is_an_id_or_a_folder(
    monkeypatch: pytest.MonkeyPatch, value: str, folder: str
) -> None:
    monkeypatch.setenv("TRIAL", value)
    content.reset()  # content reads the setting once per process
    assert settings.trial_dir() == settings.ROOT / folder
    assert content.path("answers") == settings.ROOT / folder / "answers.yml"


def test_every_trial_file_is_in_the_folder_and_none_left_in_bot_content() -> None:
    for name in content.TRIAL_FILES:
        assert (settings.trial_dir() / f"{name}.yml").is_file(), name
        assert not (content.CONTENT_DIR / f"{name}.yml").exists(), name
