"""A copy of this deployment's trial folder to edit, and the review copy it gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import content


@pytest.fixture
def trial_copy(tmp_path: Path) -> Path:
    """The trial folder in use (bot.content's source), copied where a test may edit it."""
    copy = tmp_path / "trial"
    shutil.copytree(content.folder(), copy, ignore=shutil.ignore_patterns("approved"))
    return copy
