"""The recruitment funnel against the real bot: scripted conversations over the live REST
webhook, page views of the real public page and staff status changes over the real API, then
exact counts from GET /api/funnel (as differences, since other tests share the live bot)."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.ops.settings import Settings
from bot.staff import funnel
from bot.store.schema import funnel_counts
from tests.conftest import API_TOKEN, Conversation, texts

pytestmark = pytest.mark.live

ELIGIBLE = ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]
ASKED = [
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


def _call(
    settings: Settings,
    path: str,
    method: str = "GET",
    body: Any = None,
    token: str = API_TOKEN,
) -> Any:
    request = urllib.request.Request(
        f"{settings.web_url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
        return json.loads(response.read())


def flat(summary: dict[str, Any]) -> dict[str, int]:
    """Every number of a funnel summary under one name ("stage:shared", "asked:age", ...)."""
    out = {f"stage:{s['event']}": s["count"] for s in summary["stages"]}
    out |= {f"result:{k}": v for k, v in summary["results"].items()}
    out |= {f"shared:{k}": v for k, v in summary["shared"].items()}
    for q in summary["questions"]:
        out |= {f"{what}:{q['id']}": q[what] for what in ("asked", "answered", "stopped")}
    out |= {f"reason:{r['id']}": r["count"] for r in summary["not_eligible_reasons"]}
    return out


def _funnel(settings: Settings, token: str = API_TOKEN) -> dict[str, int]:
    today = funnel.local_day()
    span = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    return flat(_call(settings, f"/api/funnel?{span}", token=token))


def _settled(settings: Settings, seconds: float = 30.0, token: str = API_TOKEN) -> dict[str, int]:
    """The counts once nothing more arrives for 3 write intervals (earlier tests' counters)."""
    deadline = time.monotonic() + seconds
    last = _funnel(settings, token)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = _funnel(settings, token)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since > 3 * funnel.FLUSH_INTERVAL + 0.5:
            return now
    raise AssertionError("the funnel kept changing")


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
    }


def test_funnel_counts_a_scripted_day_exactly(live_bot: str, live_settings: Settings) -> None:
    before = _settled(live_settings)

    # Two views of the public page.
    for _ in range(2):
        with urllib.request.urlopen(f"{live_settings.web_url}/", timeout=20) as page:
            assert page.status == 200

    # A: says hello and leaves.
    Conversation(live_bot)("hi")

    # B: a full prescreen, likely eligible, shared.
    b = Conversation(live_bot)
    assert "2 minutes" in texts(b("can I join the study?"))
    b("Yes, let's start")
    for answer in ELIGIBLE:
        b(answer)
    b("Yes, share my answers")
    b("Jane Test")
    b("jane@example.com")
    assert "reference code" in texts(b("weekday mornings"))

    # C: too young: checked, then not eligible (reason: age), then leaves.
    c = Conversation(live_bot)
    c("can I join the study?")
    c("Yes, let's start")
    assert "Just to check: you are 16 years old" in texts(c("I'm 16"))
    assert "18 to 89" in texts(c("Yes"))
    c("No, that's right")

    # D: answers the age, then stops at the diagnosis question.
    d = Conversation(live_bot)
    d("can I join the study?")
    d("Yes, let's start")
    d("52")
    assert "do not save them when you stop" in texts(d("stop"))
    assert "did not keep your answers" in texts(d("Yes, stop"))

    # E: offered the prescreen, says no.
    e = Conversation(live_bot)
    e("can I join the study?")
    assert "did not keep anything" in texts(e("No, thanks"))

    # F: a question for the team, shared.
    f = Conversation(live_bot)
    f("I want to talk to a real person")
    f("Can I bring my husband to the visits?")
    f("Yes, pass it on")
    f("Sam Test")
    f("sam@example.com")
    f("mornings")

    # Staff: B's record is contacted, scheduled, enrolled.
    found = _call(live_settings, f"/api/handoffs?conversation_id={b.sender}")["items"]
    assert len(found) == 1
    for status in ("contacted", "scheduled", "enrolled"):
        _call(live_settings, f"/api/handoffs/{found[0]['id']}", "PATCH", {"status": status})

    expected = {
        "stage:page_view": 2,
        "stage:chat_opened": 6,  # A to F
        "stage:prescreen_offered": 4,  # B, C, D, E
        "stage:prescreen_started": 3,  # B, C, D
        "stage:prescreen_finished": 2,  # B, C
        "stage:shared": 1,  # B (prescreens only)
        "stage:contacted": 1,
        "stage:scheduled": 1,
        "stage:enrolled": 1,
        "result:likely_eligible": 1,
        "shared:prescreen": 1,
        "shared:question": 1,
        "result:not_eligible": 1,
        "reason:age": 1,
        "asked:age": 3,
        "answered:age": 3,
        "asked:diagnosis": 2,  # B, and D who stopped there
        "answered:diagnosis": 1,
        "stopped:diagnosis": 1,
        **{f"asked:{q}": 1 for q in ASKED[2:]},
        **{f"answered:{q}": 1 for q in ASKED[2:]},
    }
    deadline = time.monotonic() + 30
    while True:
        delta = _delta(before, _funnel(live_settings))
        if delta == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert delta == expected
    # And nothing more arrives afterwards.
    assert _delta(before, _settled(live_settings)) == expected

    # What is stored: counters whose keys are criterion ids, results, kinds or phases only.
    engine = sa.create_engine(f"sqlite:///{live_settings.var_dir / 'handoffs.db'}", future=True)
    with engine.connect() as connection:
        stored = [tuple(row) for row in connection.execute(sa.select(funnel_counts))]
    engine.dispose()
    allowed = {"", *ASKED, "pregnancy", *funnel.RESULTS, "prescreen", "question"}
    allowed |= {"share", "name", "contact", "best_time", "call_who", "confirm", "pick"}
    for trial, _day, event, key, count in stored:
        assert trial == "NCT06857240" and event in funnel.EVENTS and key in allowed, key
        assert isinstance(count, int)
    dump = repr(stored)
    for secret in (b.sender, c.sender, f.sender, "Jane", "jane@example.com", "husband"):
        assert secret not in dump
