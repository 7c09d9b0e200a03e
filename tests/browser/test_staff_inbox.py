"""The staff work queue in headless Chromium (Debian's chromium via Playwright) against the
real web app (`python -m bot.web.server` in its own process) over a seeded SQLite store: the
queue, search, a contact attempt, assignment and "my queue", a viewer who cannot see contact
details, and the stale-edit warning. Screenshots go to var/screenshots/, or to
docs/screenshots/ with SAVE_DOC_SCREENSHOTS=1 (the README's walk-through uses those)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bot.ops.settings import ROOT
from bot.staff import users as staff
from bot.store.handoff import Handoff, HandoffStore
from bot.store.schema import handoffs
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.conftest import spare_port

PASSWORD = "correct horse battery staple"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
TRANSCRIPT = [
    {"who": "assistant", "text": "How old are you?"},
    {"who": "patient", "text": "I'm 52"},
    {"who": "assistant", "text": "Have you taken steroid pills, shots or drips?"},
    {"who": "patient", "text": "yes prednisone for 2 years"},
    {"who": "assistant", "text": "Have you tried another medicine that calms the immune system?"},
    {"who": "patient", "text": "methotrexate, then cellcept"},
    {"who": "assistant", "text": "Have you used a steroid cream that did not help enough?"},
    {"who": "patient", "text": "clobetasol didnt do much"},
]
ANSWERS = {
    "age": 52,
    "diagnosis": "yes",
    "biopsy": "yes",
    "active_skin": "yes",
    "systemic_steroids": "yes",
    "steroid_sparing": "yes",
    "topical": "yes",
    "topical_washout": "yes",
    "stable_meds": "yes",
    "could_be_pregnant": "no",
}


def _answers(overrides: dict[str, str], review: tuple[str, ...]) -> dict[str, object]:
    given = {**ANSWERS, **overrides}
    reasons = {
        key: {"status": "review" if key in review else "pass", "text": "(patient text)"}
        for key in given
    }
    reasons["pregnancy"] = {"status": "skipped", "text": "(patient text)"}
    return {"answers": given, "reasons": reasons}


def seed(url: str) -> None:
    store = HandoffStore(url, channels=[])
    people = [
        # (conversation, outcome, name, phone, best time, overrides, review, days old)
        ("c1", "likely_eligible", "Maria Lopez", "+12165550177", "weekday evenings", {}, (), 2),
        (
            "c2",
            "needs_review",
            "Rosa Bianchi",
            "+13305550142",
            "mornings",
            {"biopsy": "no", "stable_meds": "unsure"},
            ("biopsy", "stable_meds"),
            0,
        ),
        ("c3", "likely_eligible", "James Carter", "+12165550123", "any time", {}, (), 0),
    ]
    for conversation, outcome, name, phone, best, overrides, review, _days in people:
        store.submit(
            Handoff(
                conversation_id=conversation,
                outcome=outcome,
                answers=_answers(overrides, review),
                contact={"name": name, "email": None, "phone": phone, "best_time": best},
                consent_version="1.0",
                consent_at="2026-11-30T14:00:00+00:00",
                share_consent_at="2026-11-30T14:03:00+00:00",
                transcript=TRANSCRIPT,
                submission_id=f"s-{conversation}",
            )
        )
    store.submit(
        Handoff(
            conversation_id="c4",
            outcome="question",
            kind="question",
            answers={},
            questions=["Do I have to stop my cream before the study starts?"],
            contact={"name": "Ann Lee", "email": "ann.lee@example.org", "phone": None},
            consent_version="1.0",
            submission_id="s-c4",
        )
    )
    with store.engine.begin() as connection:
        for conversation, *_rest, days in people:
            if days:
                connection.execute(
                    handoffs.update()
                    .where(handoffs.c.conversation_id == conversation)
                    .values(created_at=datetime.now(timezone.utc) - timedelta(days=days + 2))
                )
    staff.add_user(store.engine, "alice", PASSWORD, role="coordinator")
    staff.add_user(store.engine, "bob", PASSWORD, role="coordinator")
    staff.add_user(store.engine, "vera", PASSWORD, role="viewer")
    store.engine.dispose()


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("inbox")
    url = f"sqlite:///{folder / 'handoffs.db'}"
    key = Fernet.generate_key().decode()
    before = os.environ.get("HANDOFF_KEY")
    os.environ["HANDOFF_KEY"] = key
    try:
        seed(url)
    finally:
        if before is None:
            os.environ.pop("HANDOFF_KEY", None)
        else:
            os.environ["HANDOFF_KEY"] = before
    port = spare_port()  # not TEST_WEB_PORT: the live bot's web app may hold it
    env = {
        **os.environ,
        "HANDOFF_KEY": key,
        "DATABASE_URL": url,
        "WEB_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "STAFF_INSECURE_COOKIES": "1",
        "VAR_DIR": str(folder),
        "PYTHONPATH": str(ROOT),
    }
    log = (folder / "web.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web.server"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the web app did not start: {(folder / 'web.log').read_text()[-2000:]}")
        time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def shot(page: Page, name: str, full: bool = True) -> Path:
    folder = DOCS_SHOTS if os.environ.get("SAVE_DOC_SCREENSHOTS") == "1" else SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


def sign_in(context: BrowserContext, base: str, user: str) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(  # every failed request but the browser's own favicon probe
        "response",
        lambda r: errors.append(f"{r.status} {r.url}")
        if r.status >= 400 and not r.url.endswith("/favicon.ico")
        else None,
    )
    page.goto(base + "/staff/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Work queue")).to_be_visible()
    page.errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture
def desk(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/New_York")
    made.set_default_timeout(15_000)
    yield made
    made.close()


def test_queue_shows_who_to_call_first_and_why(inbox: str, desk: BrowserContext) -> None:
    page = sign_in(desk, inbox, "alice")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(4)
    first = rows.nth(0)
    expect(first).to_contain_text("Maria Lopez")
    expect(first).to_contain_text("Overdue")
    expect(first.locator("a.tel")).to_have_attribute("href", "tel:+12165550177")
    expect(first.locator("a.tel")).to_have_text("(216) 555-0177")
    expect(first).to_contain_text("weekday evenings")
    expect(first).to_contain_text("none yet")
    expect(rows.nth(1)).to_contain_text("James Carter")  # likely eligible before review
    expect(rows.nth(2)).to_contain_text("Biopsy: No · Stable medicines: Not sure")
    expect(rows.nth(3)).to_contain_text("Question: Do I have to stop")
    expect(page.locator(".summary")).to_contain_text("1 overdue")
    shot(page, "inbox-queue")
    page.fill("#f-q", "(330) 555-0142")
    page.click("text=Show")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody tr")).to_contain_text("Rosa Bianchi")
    page.fill("#f-q", "maria")
    page.click("text=Show")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody tr")).to_contain_text("Maria Lopez")
    shot(page, "inbox-search", full=False)
    assert not page.errors  # type: ignore[attr-defined]


def test_a_call_is_logged_then_scheduled_and_assigned(inbox: str, desk: BrowserContext) -> None:
    page = sign_in(desk, inbox, "alice")
    page.locator("table.queue tbody tr", has_text="Maria Lopez").get_by_role("link").first.click()
    expect(page.locator(".why-card")).to_contain_text("Every prescreen answer meets")
    expect(page.locator(".medicines")).to_have_text(
        "prednisone, methotrexate, mycophenolate, clobetasol"
    )
    expect(page.locator("details.transcript-box")).not_to_have_attribute("open", "")
    expect(page.get_by_text("Prior systemic corticosteroids (oral, IM or IV)")).to_be_visible()
    shot(page, "inbox-detail")
    page.check("input[name=channel][value=call]")
    page.check("input[name=result][value=reached]")
    page.fill("#next-step", "Screening visit Mon 9 am; send directions")
    page.click("#attempt-form button[type=submit]")
    expect(page.locator(".saved")).to_have_text("Saved: the contact attempt is logged.")
    expect(page.locator("h1 .status")).to_have_text("Contacted")
    page.select_option("#new-status", "scheduled")
    page.fill("#note", "Screening Mon 7 Dec, 9 am, Dr. Fernandez")
    page.click("#status-form button[type=submit]")
    expect(page.locator(".saved")).to_have_text("Saved: the status and note are recorded.")
    expect(page.locator("h1 .status")).to_have_text("Scheduled")
    page.select_option("#assignee", "alice")
    page.click("#assign-form button[type=submit]")
    expect(page.locator(".saved")).to_have_text("Saved: the assignment is changed.")
    trail = page.locator("section[aria-labelledby=audit-h] tbody tr")
    expect(trail).to_have_count(3)
    expect(trail.nth(0)).to_contain_text("New → Contacted (contact attempt)")
    expect(trail.nth(1)).to_contain_text("Contacted → Scheduled")
    expect(trail.nth(2)).to_contain_text("assigned to alice")
    shot(page, "inbox-scheduled")
    page.click("text=My queue")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody tr")).to_contain_text("Call: Reached")
    assert not page.errors  # type: ignore[attr-defined]


def test_stale_edit_warning(inbox: str, browser: Browser) -> None:
    contexts = [browser.new_context(viewport=DESKTOP) for _ in range(2)]
    try:
        alice = sign_in(contexts[0], inbox, "alice")
        bob = sign_in(contexts[1], inbox, "bob")
        for page in (alice, bob):
            page.locator("table.queue tbody tr", has_text="James Carter").get_by_role(
                "link"
            ).first.click()
        alice.check("input[name=result][value=no_answer]")
        alice.fill("#next-step", "Try again tomorrow")
        alice.click("#attempt-form button[type=submit]")
        expect(alice.locator(".saved")).to_be_visible()
        bob.select_option("#new-status", "not_a_fit")
        bob.fill("#note", "Lives too far away")
        bob.click("#status-form button[type=submit]")
        expect(bob.locator(".stale")).to_contain_text(
            "Someone else changed this record since you opened it."
        )
        expect(bob.locator("h1 .status")).to_have_text("New")  # nothing was saved
        expect(bob.locator("section[aria-labelledby=attempts-h]")).to_contain_text("No answer")
        shot(bob, "inbox-stale-edit", full=False)
    finally:
        for context in contexts:
            context.close()


def test_viewer_cannot_see_contact_details(inbox: str, browser: Browser) -> None:
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = sign_in(context, inbox, "vera")
        text = page.locator("main").inner_text()
        for secret in ("Maria", "Lopez", "555", "evenings", "ann.lee"):
            assert secret not in text, secret
        expect(page.locator("a.tel")).to_have_count(0)
        expect(page.locator("table.queue tbody tr").first).to_contain_text("hidden")
        shot(page, "inbox-viewer", full=False)
        page.locator("table.queue tbody tr").first.get_by_role("link").first.click()
        expect(page.get_by_text("Contact details are hidden for your role")).to_be_visible()
        expect(page.locator("#status-form")).to_have_count(0)
        detail = page.locator("main").inner_text()
        assert "Lopez" not in detail and "555" not in detail and "prednisone" in detail
        page.goto(inbox + "/staff/handoffs?q=Maria%20Lopez")
        expect(page.get_by_text("No handoffs match.")).to_be_visible()
    finally:
        context.close()


def test_queue_on_a_phone(inbox: str, browser: Browser) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = sign_in(context, inbox, "bob")
        first = page.locator("table.queue tbody tr").first
        first.locator("a.tel").scroll_into_view_if_needed()
        expect(first.locator("a.tel")).to_be_visible()
        expect(first.locator("a.tel")).to_have_attribute("href", "tel:+12165550123")
        shot(page, "inbox-queue-phone", full=False)
    finally:
        context.close()
