"""bot.staff.funnel: what a prescreen counts, date ranges, and the counters on SQLite and
PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.prescreen import dialogue as prescreen
from bot.prescreen.dialogue import Turn
from bot.staff import funnel
from bot.store.handoff import migrate
from tests.stores import migrate_to

ELIGIBLE = ["52", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "does not apply"]
ASKED_WHEN_ELIGIBLE = [
    "age",
    "diagnosis",
    "biopsy",
    "active_skin",
    "systemic_steroids",
    "steroid_sparing",
    "topical",
    "topical_washout",
    "stable_meds",
    "could_be_pregnant",
]


@pytest.fixture(autouse=True)
def handoff_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())


class Patient:
    """Drives bot.prescreen.dialogue like the form does, counting each turn as the action does."""

    def __init__(self) -> None:
        self.state: prescreen.State | None = None
        self.events: Counter[tuple[str, str]] = Counter()

    def say(self, text: str, intent: str | None = None, entities: Any = ()) -> None:
        before = self.state
        result = prescreen.step(before, Turn(text, intent, tuple(entities)))
        self.events.update(funnel.prescreen_events(before, result.state))
        self.state = result.state


def started() -> Patient:
    p = Patient()
    p.state = prescreen.new_state()
    p.say("yes")
    return p


def keyed(events: Counter[tuple[str, str]], event: str) -> dict[str, int]:
    return {k: n for (e, k), n in events.items() if e == event}


def test_an_eligible_prescreen_counts_each_step_once() -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    assert p.state is not None and p.state.phase == "share"
    assert p.events[("prescreen_started", "")] == 1
    assert keyed(p.events, "question_asked") == {c: 1 for c in ASKED_WHEN_ELIGIBLE}
    assert keyed(p.events, "question_answered") == {c: 1 for c in ASKED_WHEN_ELIGIBLE}
    assert p.events[("prescreen_finished", "")] == 1
    assert keyed(p.events, "result") == {"likely_eligible": 1}
    assert keyed(p.events, "not_eligible_reason") == {}
    p.say("Yes, share my answers")
    p.say("Jane Doe")
    p.say("jane@example.com")
    p.say("weekday mornings")
    assert p.state.phase == "submit"
    # Nothing new after the result: sharing is counted by the handoff store.
    assert sum(p.events.values()) == 1 + 10 + 10 + 1 + 1


def test_a_changed_answer_and_a_restart_are_not_counted_twice() -> None:
    p = started()
    p.say("I'm 16", entities=[{"entity": "age", "value": 16, "confidence": 1}])
    p.say("Yes")  # "Just to check: you are 16?" -> not eligible
    assert p.state is not None and p.state.phase == "not_eligible"
    assert keyed(p.events, "result") == {"not_eligible": 1}
    assert keyed(p.events, "not_eligible_reason") == {"age": 1}
    p.say("Change an answer")
    p.say("Age")
    p.say("52")
    p.say("yes")
    p.say("start over", intent="restart_prescreen")
    p.say("52")
    assert keyed(p.events, "question_answered") == {"age": 1, "diagnosis": 1}
    assert keyed(p.events, "question_asked") == {"age": 1, "diagnosis": 1, "biopsy": 1}
    assert p.events[("prescreen_finished", "")] == 1
    assert keyed(p.events, "result") == {"not_eligible": 1}  # the first result only


def test_a_stop_is_counted_at_the_question_it_happened() -> None:
    p = started()
    p.say("52")
    p.say("cancel", intent="stop_prescreen")
    p.say("yes")
    assert p.state is not None and p.state.phase == "stopped"
    assert keyed(p.events, "prescreen_stopped") == {"diagnosis": 1}
    assert keyed(p.events, "question_answered") == {"age": 1}
    assert p.events[("prescreen_finished", "")] == 0


def test_declining_consent_and_questions_for_the_team_count_nothing() -> None:
    p = Patient()
    p.state = prescreen.new_state()
    p.say("no thanks", intent="deny")
    assert p.state is not None and p.state.phase == "declined"
    assert sum(p.events.values()) == 0
    q = Patient()
    q.state = prescreen.new_state(question="Is there a placebo?")
    q.say("yes")
    assert sum(q.events.values()) == 0


def test_counted_keys_hold_no_answers() -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    assert p.state is not None
    for tag in p.state.counted:
        event, _, key = tag.partition(":")
        assert event in funnel.EVENTS
        assert key in ("", *ASKED_WHEN_ELIGIBLE, *funnel.RESULTS)


def test_date_ranges() -> None:
    today = date(2026, 12, 1)
    assert funnel.parse_range(None, None, today) == (date(2026, 11, 25), today)
    assert funnel.parse_range("2026-11-01", "2026-11-30", today) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    for start, end in [
        ("2026-13-01", None),
        ("2026-11-31", None),
        ("yesterday", None),
        ("2026-1-1", None),
        ("20261101", None),
        (None, "2026-12-01T00:00"),
        ("2026-12-02", "2026-12-01"),
        ("2024-01-01", "2026-12-01"),
    ]:
        with pytest.raises(funnel.BadRange):
            funnel.parse_range(start, end, today)


def test_the_study_day_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    late = datetime(2026, 12, 2, 3, 30, tzinfo=timezone.utc)  # 22:30 in New York
    assert funnel.local_day(late) == date(2026, 12, 1)
    funnel.time_zone.cache_clear()
    monkeypatch.setenv("WORK_TIMEZONE", "Europe/Rome")
    try:
        assert funnel.local_day(late) == date(2026, 12, 2)
    finally:
        funnel.time_zone.cache_clear()


def _wait_until(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _counts(url: str) -> dict[tuple[str, str], int]:
    engine = sa.create_engine(url, future=True)
    try:
        today = funnel.local_day()
        found = funnel.rows(engine, today - timedelta(days=1), today + timedelta(days=1))
    finally:
        engine.dispose()
    return {(r.event, r.key): r.count for r in found}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_recorder_writes_counters_in_the_background(
    backend: str, tmp_path: Path, postgres_url: str
) -> None:
    url = f"sqlite:///{tmp_path / 'handoffs.db'}" if backend == "sqlite" else postgres_url
    engine = sa.create_engine(url, future=True)
    migrate(engine)
    engine.dispose()
    recorder = funnel.Recorder(url, interval=0.05)
    for _ in range(3):
        recorder.record("page_view")
    recorder.record("question_answered", "age")
    recorder.record("question_answered", "age")
    recorder.record("result", "needs_review")
    _wait_until(lambda: _counts(url).get(("page_view", ""), 0) == 3)
    recorder.record("page_view")
    recorder.close()
    assert _counts(url) == {
        ("page_view", ""): 4,
        ("question_answered", "age"): 2,
        ("result", "needs_review"): 1,
    }


def test_recorder_keeps_counts_while_the_database_is_away(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "handoffs.db"
    url = f"sqlite:///{path}"
    recorder = funnel.Recorder(url, interval=0.05)
    caplog.set_level(logging.INFO, logger="bot.staff.funnel")
    recorder.record("chat_opened")  # no database file yet: not created by the recorder
    _wait_until(lambda: "not written" in caplog.text)
    assert not path.exists() and recorder.pending() == 1
    engine = sa.create_engine(url, future=True)
    migrate(engine)
    engine.dispose()
    _wait_until(lambda: recorder.pending() == 0)
    recorder.close()
    assert _counts(url) == {("chat_opened", ""): 1}


def test_recording_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    recorder = funnel.Recorder("not a url at all", interval=0.05)
    recorder.record("no_such_event")
    recorder.record("page_view", "a key it does not take")
    assert "not counted: ValueError" in caplog.text
    recorder.record("page_view")  # a bad URL: kept, logged, never raised
    assert recorder.flush() is False
    funnel.observe_prescreen(None, {"mode": "prescreen", "answers": None, "phase": 3})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0006_up_and_down(backend: str, tmp_path: Path, postgres_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'handoffs.db'}" if backend == "sqlite" else postgres_url
    engine = sa.create_engine(url, future=True)
    try:
        migrate(engine)
        assert "funnel_counts" in sa.inspect(engine).get_table_names()
        columns = {c["name"] for c in sa.inspect(engine).get_columns("funnel_counts")}
        assert columns == {"trial", "day", "event", "key", "count"}  # no person, no text
        migrate_to(engine, "0005", down=True)
        assert "funnel_counts" not in sa.inspect(engine).get_table_names()
        migrate(engine)
        with engine.begin() as connection:
            funnel.count_now(connection, "contacted")
            funnel.count_now(connection, "contacted")
        assert _counts(url) == {("contacted", ""): 2}
    finally:
        engine.dispose()


def test_recording_is_quick_even_with_the_database_down(tmp_path: Path) -> None:
    """About 15 us here: a turn never waits for a counter (the bound is generous for CI)."""
    recorder = funnel.Recorder(f"sqlite:///{tmp_path / 'missing' / 'handoffs.db'}")
    recorder.record("page_view")
    start = time.perf_counter()
    for _ in range(2000):
        recorder.record("question_answered", "age")
    mean = (time.perf_counter() - start) / 2000
    assert mean < 0.001, f"{mean * 1e6:.0f} us per event"
    assert recorder.pending() == 2001


def test_staff_transitions_count_the_first_time_only(tmp_path: Path) -> None:
    """Whatever the action wrote the audit row (a status change, a contact attempt)."""
    from bot.store.handoff import Handoff, HandoffStore
    from bot.store.schema import audit

    url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    store = HandoffStore(url, channels=[])
    store.submit(Handoff("c-1", "likely_eligible", {}, {}, "1.0"))
    now = datetime.now(timezone.utc)

    def change(old: str, new: str, action: str = "status") -> None:
        with store.engine.begin() as connection:
            funnel.count_transition(connection, 1, old, new)
            connection.execute(
                audit.insert().values(
                    handoff_id=1,
                    actor="alice",
                    action=action,
                    old_status=old,
                    new_status=new,
                    created_at=now,
                )
            )

    change("new", "contacted", "contact_attempt")  # a call that reached them: counted
    change("contacted", "contacted", "contact_attempt")  # another call: not a new contact
    change("contacted", "scheduled")
    change("scheduled", "contacted")  # moved back: not a second contact
    change("contacted", "scheduled")  # not a second scheduling either
    change("scheduled", "not_a_fit")
    store.engine.dispose()
    assert _counts(url) == {("contacted", ""): 1, ("scheduled", ""): 1}


def test_an_answer_given_early_counts_its_question_as_asked() -> None:
    p = Patient()
    p.state = prescreen.new_state()
    p.say("yes, I'm 52", entities=[{"entity": "age", "value": 52, "confidence": 1}])
    assert p.state is not None and p.state.answers == {"age": 52}
    assert keyed(p.events, "question_answered") == {"age": 1}
    assert keyed(p.events, "question_asked") == {"age": 1, "diagnosis": 1}


def test_a_forked_worker_writes_its_own_counts_once(tmp_path: Path) -> None:
    import os

    url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    engine = sa.create_engine(url, future=True)
    migrate(engine)
    engine.dispose()
    recorder = funnel.recorder(url)
    recorder.record("page_view")  # the parent's, not yet written
    pid = os.fork()
    if pid == 0:  # the child: counts one chat, writes it, exits
        code = 1
        try:
            funnel.recorder(url).record("chat_opened")
            code = 0 if funnel.recorder(url).flush() else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    recorder.close()
    assert _counts(url) == {("page_view", ""): 1, ("chat_opened", ""): 1}
