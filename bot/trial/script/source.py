"""Make a trial folder the content source for one run (and put the old source back after)."""

from __future__ import annotations

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
    try:
        yield folder
    finally:
        content.use(before)
