"""The recruitment funnel: how many viewed the page, opened the chat, started, answered each
question, finished, shared, were contacted, scheduled and enrolled, per trial and day.

Only counters are kept (table funnel_counts: trial, day, event, key, count), never a row per
person: no conversation id, no text, no answer values. The key of a counter is "" or one of a
criterion id (question_asked, question_answered, not_eligible_reason, prescreen_stopped), a
result (result) or a handoff kind (shared). The day is the study's local day (WORK_TIMEZONE,
default America/New_York).

Where events come from (each is one call here):
- page_view: the public page (bot/web/public.py)
- chat_opened: a conversation session starting (bot/rasa/tracker_store.py sees Rasa's
  session_started event: a new chat, or a chat coming back after 60 idle minutes)
- prescreen_offered: the consent question is shown (actions/prescreen.py)
- prescreen_started, question_asked, question_answered, prescreen_finished, result,
  not_eligible_reason, prescreen_stopped: a prescreen turn (`prescreen_events`, from the
  state before and after bot.prescreen.dialogue.step; each counted once per prescreen)
- shared: a new handoff in the store (bot/store/handoff.py)
- contacted, scheduled, enrolled: a staff status change, the first time a record gets it
  (bot/web/queries.py, in the same transaction as the change)

A patient's turn never waits for or fails because of a counter: `record` only adds to an
in-memory tally that a background thread writes every FLUSH_INTERVAL seconds; a failed write is
logged (the error's type only) and retried.

Over 300 lines on purpose: the event vocabulary (STAGES, KEYED), what counts it (Recorder,
prescreen_events, count_transition) and what reads it back (summarize) change together; an
event added here is counted and summarised in the same change.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot import content
from bot.ops.settings import Settings
from bot.prescreen import engine as eligibility
from bot.prescreen.state import Mode, Phase, PrescreenState
from bot.store.schema import audit, funnel_counts, handoffs

log = logging.getLogger(__name__)

# The funnel's stages, in order (unkeyed events).
STAGES = (
    "page_view",
    "chat_opened",
    "prescreen_offered",
    "prescreen_started",
    "prescreen_finished",
    "shared",
    "contacted",
    "scheduled",
    "enrolled",
)
KEYED = (
    "question_asked",
    "question_answered",
    "result",
    "not_eligible_reason",
    "prescreen_stopped",
    "shared",
)
EVENTS = frozenset(STAGES) | frozenset(KEYED)
STAFF_EVENTS = ("contacted", "scheduled", "enrolled")
RESULTS = ("likely_eligible", "needs_review", "not_eligible")
MAX_KEY = 64
FLUSH_INTERVAL = Settings.from_env().funnel_flush_interval
# Counters kept in memory while the database is unreachable; beyond that new ones are dropped.
MAX_PENDING = 10_000
DEFAULT_TIME_ZONE = "America/New_York"
MAX_RANGE_DAYS = 366

Key = tuple[str, date, str, str]  # trial, day, event, key


@cache
def time_zone() -> ZoneInfo:
    name = Settings.from_env().work_timezone or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("WORK_TIMEZONE is not a known time zone; using %s", DEFAULT_TIME_ZONE)
        return ZoneInfo(DEFAULT_TIME_ZONE)


def local_day(moment: datetime | None = None) -> date:
    """The study's calendar day at that moment (now by default)."""
    return (moment or datetime.now(timezone.utc)).astimezone(time_zone()).date()


def trial_id() -> str:
    return str(content.trial()["nct_id"])[:32]


def _checked(event: str, key: str) -> tuple[str, str]:
    if event not in EVENTS:
        raise ValueError(f"unknown funnel event {event!r}")
    if key and event not in KEYED:
        raise ValueError(f"funnel event {event!r} takes no key")
    return event, str(key)[:MAX_KEY]


# --- writing ------------------------------------------------------------------------------


def add(connection: sa.engine.Connection, counts: Mapping[Key, int]) -> None:
    """Add to the counters (insert or increment), in the caller's transaction."""
    rows = [
        {"trial": t, "day": d, "event": e, "key": k, "count": n}
        for (t, d, e, k), n in sorted(counts.items())
        if n
    ]
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert: Any = (sqlite if dialect == "sqlite" else postgresql).insert(funnel_counts)
        statement = insert.on_conflict_do_update(
            index_elements=["trial", "day", "event", "key"],
            set_={"count": funnel_counts.c.count + insert.excluded["count"]},
        )
        for row in rows:
            connection.execute(statement, row)
        return
    for row in rows:  # any other database: update, else insert
        where = [funnel_counts.c[name] == row[name] for name in ("trial", "day", "event", "key")]
        updated = connection.execute(
            funnel_counts.update().where(*where).values(count=funnel_counts.c.count + row["count"])
        )
        if updated.rowcount == 0:
            connection.execute(funnel_counts.insert().values(**row))


def count_now(
    connection: sa.engine.Connection, event: str, key: str = "", trial: str | None = None
) -> None:
    """Count one event now, in the caller's transaction (staff changes); ``trial`` is the
    record's (nct_id), else the default trial."""
    event, key = _checked(event, key)
    add(connection, {((trial or trial_id())[:32], local_day(), event, key): 1})


def count_transition(
    connection: sa.engine.Connection, handoff_id: int, old: str | None, new: str | None
) -> None:
    """A staff change of a record's status: the first time a record reaches contacted,
    scheduled or enrolled is counted, in the change's own transaction.

    Call it before the change's own audit row is written. "The first time" is read from the
    audit trail (any earlier row moving this record into that status, whatever the action: a
    status change or a contact attempt), so a record reopened and contacted again, or moved
    back from scheduled to contacted, is not a second contact.
    """
    if new not in STAFF_EVENTS or new == old:
        return
    earlier = connection.execute(
        sa.select(sa.func.count())
        .select_from(audit)
        .where(
            audit.c.handoff_id == handoff_id,
            audit.c.new_status == new,
            sa.or_(audit.c.old_status.is_(None), audit.c.old_status != new),
        )
    ).scalar_one()
    if not earlier:
        trial = connection.execute(
            sa.select(handoffs.c.trial).where(handoffs.c.id == handoff_id)
        ).scalar_one_or_none()
        count_now(connection, new, trial=trial)


class Recorder:
    """Counts events in memory and writes them from a background thread.

    `record` never raises and never touches the database itself. The engine is made in the
    writer thread the first time something is written.
    """

    def __init__(self, url: str, interval: float = FLUSH_INTERVAL) -> None:
        self.url = url
        self.interval = interval
        self._pending: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._engine: sa.engine.Engine | None = None
        self._shared = False  # _engine is someone else's (share()): not disposed here
        self._failing = False

    def record(self, event: str, key: str = "", *, when: datetime | None = None) -> None:
        try:
            event, key = _checked(event, key)
            counter = (trial_id(), local_day(when), event, key)
            with self._lock:
                if counter not in self._pending and len(self._pending) >= MAX_PENDING:
                    log.warning("funnel: too many unwritten counters; dropping one %s", event)
                    return
                self._pending[counter] += 1
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="funnel-writer", daemon=True
                    )
                    self._thread.start()
        except Exception as error:  # noqa: BLE001 - a counter must never break a turn
            log.warning("funnel event not counted: %s", type(error).__name__)

    def share(self, engine: sa.engine.Engine) -> None:
        """Write through `engine` (the web process's one engine) instead of one of its own;
        its owner disposes it, after close()."""
        with self._lock:
            if self._engine is not None and not self._shared:
                self._engine.dispose()
            self._engine, self._shared = engine, True

    def forked(self) -> None:
        """In a forked child: a new lock, writer and engine; what the parent had not written
        yet is the parent's to write."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending = Counter()
        self._thread = None
        self._engine = None
        self._shared = False

    def pending(self) -> int:
        with self._lock:
            return sum(self._pending.values())

    def flush(self) -> bool:
        """Write what is pending now; False (and kept for later) if the write failed."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
        if not batch:
            return True
        try:
            if self._engine is None:
                if _sqlite_missing(self.url):
                    # Not made here (the handoff store creates it private and migrated).
                    raise FileNotFoundError("the handoff database does not exist yet")
                self._engine = sa.create_engine(self.url, future=True, pool_pre_ping=True)
            with self._engine.begin() as connection:
                add(connection, batch)
        except Exception as error:  # noqa: BLE001 - keep the counts, try again later
            if not self._failing:
                log.warning("funnel counters not written (will retry): %s", type(error).__name__)
            self._failing = True
            with self._lock:
                for counter, n in batch.items():
                    if counter in self._pending or len(self._pending) < MAX_PENDING:
                        self._pending[counter] += n
            return False
        if self._failing:
            log.info("funnel counters written again")
        self._failing = False
        return True

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Write what is left and stop the writer (at exit, or when an app shuts down)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
        if self._engine is not None and not self._shared:
            self._engine.dispose()
        self._engine, self._shared = None, False
        self._stopping = False
        self._thread = None


def _sqlite_missing(url: str) -> bool:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return not Path(str(parsed.database)).exists()


_RECORDERS: dict[str, Recorder] = {}
_REGISTRY = threading.Lock()


def recorder(url: str | sa.engine.URL | None = None) -> Recorder:
    """The process's recorder for that database (default: the handoff store's, DATABASE_URL
    or var/handoffs.db)."""
    if url is None:
        from bot.store.handoff import default_url

        url = default_url()
    text = url.render_as_string(hide_password=False) if isinstance(url, sa.engine.URL) else url
    with _REGISTRY:
        found = _RECORDERS.get(text)
        if found is None:
            found = _RECORDERS[text] = Recorder(text)
        return found


_DEFAULT: dict[tuple[str, str], Recorder] = {}


def _default() -> Recorder:
    """The recorder of DATABASE_URL / VAR_DIR, looked up once per setting (not per event)."""
    settings = Settings.from_env()
    where = (settings.database_url, str(settings.var_dir))
    found = _DEFAULT.get(where)
    if found is None:
        found = _DEFAULT[where] = recorder()
    return found


def record(event: str, key: str = "") -> None:
    """Count one event in the default database; never raises, never blocks on the database."""
    try:
        _default().record(event, key)
    except Exception as error:  # noqa: BLE001 - e.g. VAR_DIR not writable
        log.warning("funnel event not counted: %s", type(error).__name__)


def _after_fork() -> None:
    global _REGISTRY
    _REGISTRY = threading.Lock()
    for found in _RECORDERS.values():
        found.forked()


os.register_at_fork(after_in_child=_after_fork)


@atexit.register
def _close_all() -> None:
    for found in list(_RECORDERS.values()):
        try:
            found.close()
        except Exception as error:  # noqa: BLE001 - at exit: nothing else to do
            log.warning("funnel counters lost at exit: %s", type(error).__name__)


# --- what a prescreen turn counts -----------------------------------------------------------

# What a prescreen has already counted is kept in its state (PrescreenState.counted).


def prescreen_events(before: PrescreenState | None, after: PrescreenState) -> list[tuple[str, str]]:
    """The funnel events of one prescreen turn, each at most once per prescreen.

    Compares the state before and after bot.prescreen.dialogue.step; adds what it counts to
    after.counted (kept in the state, so a restart or a changed answer is not counted
    twice). Only criterion ids, results and phases are looked at, never what was typed.
    """
    if after.mode != Mode.PRESCREEN:
        return []
    counted = list(after.counted)
    seen = set(counted)
    events: list[tuple[str, str]] = []

    def once(event: str, key: str = "") -> None:
        tag = f"{event}:{key}"
        if tag not in seen:
            seen.add(tag)
            counted.append(tag)
            events.append((event, key))

    answers = after.answers
    phase = after.phase
    if after.consent_at:
        once("prescreen_started")
    for criterion in eligibility.load_criteria():
        if answers.get(criterion.id) is not None:
            # Answered before it was asked ("yes, I'm 52" to the consent): asked too, so a
            # question is never answered by more people than were asked it.
            once("question_asked", criterion.id)
            once("question_answered", criterion.id)
    if phase == Phase.QUESTIONS:
        asked = eligibility.next_question(answers)
        if asked is not None:
            once("question_asked", asked.id)
    finished = "prescreen_finished:" in seen
    if not finished and phase == Phase.SHARE and after.result in RESULTS:
        once("prescreen_finished")
        once("result", str(after.result))
    elif not finished and phase == Phase.NOT_ELIGIBLE:
        outcome = eligibility.evaluate(answers)
        once("prescreen_finished")
        once("result", "not_eligible")
        if outcome.ended_by:
            once("not_eligible_reason", outcome.ended_by)
    if phase == Phase.STOPPED and before is not None:
        resume = before.resume or before.phase
        where = str(resume)
        if resume == Phase.QUESTIONS:
            asked = eligibility.next_question(before.answers)
            where = asked.id if asked is not None else where
        once("prescreen_stopped", where)
    after.counted = counted
    return events


def observe_prescreen(before: PrescreenState | None, after: PrescreenState) -> None:
    """Count one prescreen turn (see prescreen_events); never raises."""
    try:
        for event, key in prescreen_events(before, after):
            record(event, key)
    except Exception as error:  # noqa: BLE001 - a counter must never break a turn
        log.warning("prescreen turn not counted: %s", type(error).__name__)


# --- reading ------------------------------------------------------------------------------


class BadRange(ValueError):
    pass


def parse_range(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """from/to as YYYY-MM-DD (both included); default the last 7 days up to today."""
    today = today or local_day()

    def parse(raw: str | None, name: str, default: date) -> date:
        if raw is None or raw == "":
            return default
        if len(raw) != 10:
            raise BadRange(f"{name} must be a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadRange(f"{name} must be a date as YYYY-MM-DD") from None

    last = parse(end, "to", today)
    first = parse(start, "from", last - timedelta(days=6))
    if first > last:
        raise BadRange("from must not be after to")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise BadRange(f"the range must be at most {MAX_RANGE_DAYS} days")
    return first, last


@dataclass(frozen=True)
class Row:
    trial: str
    day: date
    event: str
    key: str
    count: int


def rows(
    engine: sa.engine.Engine,
    first: date,
    last: date,
    trial: str | None = None,
    scope: frozenset[str] | None = None,
) -> list[Row]:
    """The counters of first..last; of ``trial`` if given; only of the trials in ``scope``
    (what a signed-in coordinator may see, bot.staff.users.scope; None: every trial)."""
    query = (
        sa.select(funnel_counts)
        .where(funnel_counts.c.day >= first, funnel_counts.c.day <= last)
        .where(funnel_counts.c.trial == trial if trial else sa.true())
        .where(funnel_counts.c.trial.in_(sorted(scope)) if scope is not None else sa.true())
        .order_by(
            funnel_counts.c.day,
            funnel_counts.c.trial,
            funnel_counts.c.event,
            funnel_counts.c.key,
        )
    )
    with engine.connect() as connection:
        return [
            Row(r.trial, r.day, r.event, r.key, int(r.count)) for r in connection.execute(query)
        ]


def _staff_label(criterion_id: str, default: str) -> str:
    """The criterion as the study team calls it (the trial's staff_labels.yml)."""
    try:
        entry = content.load("staff_labels")["criteria"].get(criterion_id) or {}
    except (FileNotFoundError, KeyError, TypeError):
        return default
    return str(entry.get("label") or default)


def summarize(found: Iterable[Row], first: date, last: date) -> dict[str, Any]:
    """The funnel of a date range as the API returns it (JSON-ready)."""
    found = list(found)
    total: Counter[str] = Counter()
    keyed: dict[str, Counter[str]] = {event: Counter() for event in KEYED}
    days: dict[tuple[str, str], dict[str, Any]] = {}
    for row in found:
        total[row.event] += row.count
        if row.key:
            keyed[row.event][row.key] += row.count
        day = days.setdefault(
            (row.day.isoformat(), row.trial),
            {"day": row.day.isoformat(), "trial": row.trial, "counts": {}},
        )
        counts = day["counts"]
        if row.key:
            counts.setdefault(row.event, {})
            counts[row.event][row.key] = counts[row.event].get(row.key, 0) + row.count
        else:
            counts[row.event] = counts.get(row.event, 0) + row.count
    criteria = eligibility.load_criteria()
    labels = {c.id: _staff_label(c.id, c.label) for c in criteria}
    questions = []
    for criterion in criteria:
        asked = keyed["question_asked"][criterion.id]
        answered = keyed["question_answered"][criterion.id]
        questions.append(
            {
                "id": criterion.id,
                "label": labels[criterion.id],
                "asked": asked,
                "answered": answered,
                # Asked and never answered in that prescreen: where people left.
                "dropped": max(asked - answered, 0),
                "stopped": keyed["prescreen_stopped"][criterion.id],
            }
        )
    reasons = [
        {"id": key, "label": labels.get(key, key), "count": n}
        for key, n in sorted(keyed["not_eligible_reason"].items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    shared = keyed["shared"]
    stages = [
        {"event": event, "count": shared["prescreen"] if event == "shared" else total[event]}
        for event in STAGES
    ]
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "time_zone": time_zone().key,
        "trials": sorted({row.trial for row in found}),
        "stages": stages,
        "results": {result: keyed["result"][result] for result in RESULTS},
        "shared": {"prescreen": shared["prescreen"], "question": shared["question"]},
        "questions": questions,
        "not_eligible_reasons": reasons,
        "days": [days[k] for k in sorted(days)],
    }


def summary(
    engine: sa.engine.Engine,
    first: date,
    last: date,
    trial: str | None = None,
    scope: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The funnel of the days first..last (both included), of one trial or all (of those in
    ``scope``, when given)."""
    return summarize(rows(engine, first, last, trial, scope), first, last)


TRIAL_ID = re.compile(r"[A-Za-z0-9-]{1,32}")


def parse_trial(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if not TRIAL_ID.fullmatch(raw):
        raise BadRange("trial must be a registry id such as NCT06857240")
    return raw
