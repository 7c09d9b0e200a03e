"""Load the reviewable content files once per process: the selected trial's folder, and the
generic files every trial shares.

A trial is a folder, ``trials/<trial-id>/`` (see the README, "How to add a trial"). Its files:

  trial.yml         identifiers and links (nct_id, title, short_name, sponsor, registry_url)
  criteria.yml      the prescreen questions, how each is scored and what fills it
  prescreen.yml     what the assistant says while it runs the prescreen
  answers.yml       the FAQ answers patients read, one per topic
  topics.yml        plain labels of the topics it answers (buttons when it is not sure)
  staff_labels.yml  what the staff inbox, CSV and digest call each question
  page.html         the public page's body (its head and opening: `page:` in trial.yml)
  FACTS.md, seed-page.txt  the sources every fact above comes from (read by people and tests)

Generic files stay in bot/content/ (safety, advice, service, languages, fhir): they describe
how the assistant behaves for any trial. ``load(name)`` picks the folder by the file name.
The trial is chosen by the ``TRIAL`` setting (bot.settings.trial_dir).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import trial_dir as trial_dir

CONTENT_DIR = Path(__file__).resolve().parent / "content"
# The YAML files of a trial folder; every other name is looked up in bot/content/.
TRIAL_FILES = ("trial", "criteria", "prescreen", "answers", "topics", "staff_labels")
# The public page's body, HTML written for the trial (bot/web/public.py).
TRIAL_PAGE = "page.html"
# The sources of a trial folder (documents, not read by the assistant).
TRIAL_SOURCES = ("FACTS.md", "seed-page.txt")


# The trial folder a command chose for this process (use); None: the TRIAL setting's.
_chosen: Path | None = None


def path(name: str) -> Path:
    """Where the content file ``<name>.yml`` is: the trial's folder, or bot/content/."""
    return (folder() if name in TRIAL_FILES else CONTENT_DIR) / f"{name}.yml"


@cache
def load(name: str) -> Any:
    """Return the parsed YAML file ``<name>.yml`` (from the trial folder or bot/content/)."""
    with path(name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def folder() -> Path:
    """The folder this process reads the trial's content from: the TRIAL setting's, unless a
    command chose another (use)."""
    return _chosen if _chosen is not None else trial_dir()


def use(path: str | Path | None) -> Path | None:
    """Read this process's trial content from ``path`` from now on (a command given a trial
    folder, e.g. `python -m bot trial script <folder>`); None goes back to the TRIAL setting.
    Returns the choice it replaces, to put back."""
    global _chosen
    before, _chosen = _chosen, (Path(path).resolve() if path is not None else None)
    load.cache_clear()
    page_html.cache_clear()
    return before


def trial() -> dict[str, Any]:
    """Identifiers and links of the trial this deployment serves (and its page's opening)."""
    data: dict[str, Any] = load("trial")
    return data


@cache
def page_html() -> str:
    """The body of the trial's public page (page.html of its folder)."""
    return (folder() / TRIAL_PAGE).read_text(encoding="utf-8")


def topic_labels() -> dict[str, str]:
    """Plain-language label for each intent or retrieval intent the assistant answers."""
    data: dict[str, str] = load("topics")
    return data
