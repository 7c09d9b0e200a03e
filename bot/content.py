"""Load the trial's reviewable content files (bot/content/*.yml) once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content"


@cache
def load(name: str) -> Any:
    """Return the parsed YAML file ``bot/content/<name>.yml``."""
    with (CONTENT_DIR / f"{name}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def folder() -> Path:
    """The folder this process reads the trial's content from."""
    return CONTENT_DIR


def use(path: str | Path) -> None:
    """Read this process's content from ``path`` from now on (a command given a trial folder,
    e.g. `python -m bot trial script <folder>`)."""
    global CONTENT_DIR
    CONTENT_DIR = Path(path).resolve()
    load.cache_clear()


def trial() -> dict[str, str]:
    """Identifiers and links of the trial this deployment serves."""
    data: dict[str, str] = load("trial")
    return data


def topic_labels() -> dict[str, str]:
    """Plain-language label for each intent or retrieval intent the assistant answers."""
    data: dict[str, str] = load("topics")
    return data
