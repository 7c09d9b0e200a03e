"""Make a trial folder the content source for one run (and put the old source back after)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import content


@contextmanager
def trial_folder(path: str | Path) -> Iterator[Path]:
    """Within the block, bot.content and bot.faq.lookup read from ``path``; ValueError if it is not
    a folder with the trial's content files."""
    folder = Path(path).resolve()
    if not (folder / "criteria.yml").is_file() or not (folder / "answers.yml").is_file():
        raise ValueError(f"{path}: not a trial folder (no criteria.yml and answers.yml)")
    before = content.use(folder)
    # bot.faq.lookup reads ANSWERS_FILE when it is set instead of the content folder's answers.
    answers_before = os.environ.pop("ANSWERS_FILE", None)
    try:
        yield folder
    finally:
        content.use(before)
        if answers_before is not None:
            os.environ["ANSWERS_FILE"] = answers_before
