"""Make a trial folder the content source for one run (and put the old source back after)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import content


@contextmanager
def trial_folder(path: str | Path) -> Iterator[Path]:
    """Within the block, bot.content and bot.faq read from ``path``; ValueError if it is not
    a folder with the trial's content files."""
    folder = Path(path).resolve()
    if not (folder / "criteria.yml").is_file() or not (folder / "answers.yml").is_file():
        raise ValueError(f"{path}: not a trial folder (no criteria.yml and answers.yml)")
    before, answers_before = content.folder(), os.environ.get("ANSWERS_FILE")
    content.use(folder)
    # bot.faq reads ANSWERS_FILE when it is set (its way to point at another answers file).
    os.environ["ANSWERS_FILE"] = str(folder / "answers.yml")
    try:
        yield folder
    finally:
        content.use(before)
        if answers_before is None:
            os.environ.pop("ANSWERS_FILE", None)
        else:
            os.environ["ANSWERS_FILE"] = answers_before
