"""Review finding 12: the store's keys are the process environment's only (bot/store/crypto.py);
create_app and HandoffStore refuse a Settings whose keys disagree, rather than sealing with
another key than the one it names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.ops.settings import Settings
from bot.store import crypto
from bot.store.handoff import HandoffStore
from bot.web.app import create_app


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("HANDOFF_KEY", key)
    monkeypatch.setenv("SEARCH_KEY", "s" * 32)
    return key


def _settings(tmp_path: Path, **fields: object) -> Settings:
    return Settings.from_env(
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        var_dir=tmp_path,
        staff_session_key=os.urandom(32),
        **fields,
    )


def test_create_app_settings_and_the_environment_agree_on_keys(tmp_path: Path, keys: str) -> None:
    settings = _settings(tmp_path)
    create_app(settings, workers=False)
    assert crypto.keys() == (keys,) == (settings.handoff_key,)
    assert Settings.from_env().search_key == settings.search_key
    assert not (tmp_path / "handoff.key").exists()  # the key file is not used with a key


@pytest.mark.parametrize("field", ["handoff_key", "search_key"])
def test_settings_naming_other_keys_are_refused(tmp_path: Path, field: str) -> None:
    other = Fernet.generate_key().decode()
    settings = _settings(tmp_path, **{field: other})
    with pytest.raises(ValueError, match=field.upper()) as raised:
        create_app(settings, workers=False)
    assert other not in str(raised.value)  # never the key
    with pytest.raises(ValueError, match=field.upper()):
        HandoffStore(settings=settings)
