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
The trial is chosen by the ``TRIAL`` setting (bot.ops.settings.trial_dir).

One deployment may serve several trials (the ``TRIALS`` setting, bot.ops.settings.trial_dirs):
``serving(trial_id)`` makes every lookup in its block (``load``, ``folder``, ``trial``, and
the caches made with ``per_trial``) read that trial's folder; it is a context variable, so
each conversation's action call and each page request reads its own trial. An id the
deployment does not serve falls back to the default trial (the first of TRIALS).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bot.ops.settings import trial_dir as trial_dir
from bot.ops.settings import trial_dirs

T = TypeVar("T")

CONTENT_DIR = Path(__file__).resolve().parent
# The YAML files of a trial folder; every other name is looked up in bot/content/.
TRIAL_FILES = ("trial", "criteria", "prescreen", "answers", "topics", "staff_labels")
# The public page's body, HTML written for the trial (bot/web/public.py).
TRIAL_PAGE = "page.html"
# The sources of a trial folder (documents, not read by the assistant).
TRIAL_SOURCES = ("FACTS.md", "seed-page.txt")


# The trial folder a command chose for this process (use); None: the TRIAL setting's.
_chosen: Path | None = None
# The trial folder of the conversation or page being served now (serving); None: the default.
_current: ContextVar[Path | None] = ContextVar("trial_folder", default=None)


def path(name: str) -> Path:
    """Where the content file ``<name>.yml`` is: the trial's folder, or bot/content/."""
    return (folder() if name in TRIAL_FILES else CONTENT_DIR) / f"{name}.yml"


def load(name: str) -> Any:
    """Return the parsed YAML file ``<name>.yml`` (from the trial folder or bot/content/)."""
    return _load_in(folder() if name in TRIAL_FILES else CONTENT_DIR, name)


@cache
def _load_in(where: Path, name: str) -> Any:
    return _load(where / f"{name}.yml")


@cache
def _load(where: Path) -> Any:
    with where.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def folder() -> Path:
    """The folder the trial's content is read from: the trial being served (serving), else
    the TRIAL setting's, unless a command chose another (use)."""
    current = _current.get()
    if current is not None:
        return current
    return _chosen if _chosen is not None else _dirs()[0]


@cache
def _dirs() -> tuple[Path, ...]:
    """The served trials' folders, read from the settings once per process (a content lookup
    is then a dictionary hit, as with one trial); ``reset`` reads them again."""
    return trial_dirs()


def reset() -> None:
    """Read the TRIAL / TRIALS settings and every content file again (tests change them)."""
    _dirs.cache_clear()
    _load.cache_clear()
    _load_in.cache_clear()
    _page_html.cache_clear()


def served() -> dict[str, Path]:
    """The trials this deployment serves, id (the folder's name) -> folder; the first is the
    default (TRIALS, else TRIAL)."""
    return _served()


@cache
def _served_in(dirs: tuple[Path, ...]) -> dict[str, Path]:
    return {where.name: where for where in dirs}


def _served() -> dict[str, Path]:
    return _served_in(_dirs())


def default_id() -> str:
    return next(iter(served()))


def known(trial_id: object) -> str:
    """The served trial of that id, or the default one (an unknown or missing id, e.g. from
    an old page or a client's typo, is never an error)."""
    if isinstance(trial_id, str) and trial_id.strip() in served():
        return trial_id.strip()
    return default_id()


def nct_ids() -> dict[str, str]:
    """Each served trial's id (its folder's name) -> its trial.yml nct_id (what handoffs
    store), the default first."""
    return {key: str(_load(where / "trial.yml")["nct_id"]) for key, where in served().items()}


def default_nct_id() -> str:
    """The default trial's trial.yml nct_id (the first of TRIALS, else TRIAL)."""
    return nct_ids()[default_id()]


def from_nct(nct_id: object) -> str:
    """The served trial whose nct_id this is (a handoff's trial), else the default one."""
    wanted = str(nct_id or "").strip().lower()
    return next((k for k, v in nct_ids().items() if v.lower() == wanted), default_id())


@contextlib.contextmanager
def serving(trial_id: object) -> Iterator[str]:
    """Read the content of trial ``trial_id`` (the default if not served) in this block."""
    chosen = known(trial_id)
    token = _current.set(served()[chosen] if chosen != default_id() else None)
    try:
        yield chosen
    finally:
        _current.reset(token)


def per_trial(make: Callable[[], T]) -> Callable[[], T]:
    """Cache ``make()`` once per trial folder (what functools.cache does for one trial)."""
    made: dict[Path, T] = {}

    def cached() -> T:
        where = folder()
        if where not in made:
            made[where] = make()
        return made[where]

    cached.cache_clear = made.clear  # type: ignore[attr-defined]
    cached.__doc__ = make.__doc__
    cached.__name__ = make.__name__
    return cached


def use(path: str | Path | None) -> Path | None:
    """Read this process's trial content from ``path`` from now on (a command given a trial
    folder, e.g. `python -m bot trial script <folder>`); None goes back to the TRIAL setting.
    Returns the choice it replaces, to put back."""
    global _chosen
    before, _chosen = _chosen, (Path(path).resolve() if path is not None else None)
    _load.cache_clear()
    _load_in.cache_clear()
    _page_html.cache_clear()
    return before


def trial() -> dict[str, Any]:
    """Identifiers and links of the trial this deployment serves (and its page's opening)."""
    data: dict[str, Any] = load("trial")
    return data


def page_html() -> str:
    """The body of the trial's public page (page.html of its folder)."""
    return _page_html(folder() / TRIAL_PAGE)


@cache
def _page_html(where: Path) -> str:
    return where.read_text(encoding="utf-8")


def topic_labels() -> dict[str, str]:
    """Plain-language label for each intent or retrieval intent the assistant answers."""
    data: dict[str, str] = load("topics")
    return data
