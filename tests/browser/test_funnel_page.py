"""The recruitment page in real Chromium: a coordinator signs in and reads the funnel and the
drop-off per question after a few real conversations with the live bot. Screenshot:
docs/screenshots/funnel-desktop-1280x800.png (and var/screenshots/)."""

from __future__ import annotations

import json
import shutil
import urllib.request
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from bot.ops.settings import ROOT, Settings
from bot.staff import funnel
from bot.staff import users as staff
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot
from tests.conftest import API_TOKEN, Conversation, texts
from tests.test_live_funnel import _settled

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "correct horse battery funnel"
DOCS = ROOT / "docs" / "screenshots"


def _talk(live_bot: str) -> None:
    """A short scripted day: one full prescreen, one not eligible, one stop, one hello."""
    done = Conversation(live_bot)
    done("can I join the study?")
    done("Yes, let's start")
    for answer in ["52", "Yes", "Not sure", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]:
        done(answer)
    done("Yes, share my answers")
    done("Jane Test")
    done("jane@example.com")
    assert "reference code" in texts(done("weekday mornings"))
    young = Conversation(live_bot)
    young("can I join the study?")
    young("Yes, let's start")
    young("I'm 16")
    young("Yes")
    stopped = Conversation(live_bot)
    stopped("can I join the study?")
    stopped("Yes, let's start")
    stopped("52")
    stopped("Yes")
    stopped("stop")
    stopped("Yes, stop")
    Conversation(live_bot)("hello")


def _api_funnel(settings: Settings, query: str) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(
        f"{settings.web_url}/api/funnel?{query}",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_the_funnel_page_shows_the_charts(
    browser: Browser, live_bot: str, live_settings: Settings
) -> None:
    for _ in range(3):
        with urllib.request.urlopen(f"{live_settings.web_url}/", timeout=20) as page:
            assert page.status == 200
    _talk(live_bot)
    user = f"coordinator-{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(f"sqlite:///{live_settings.var_dir / 'handoffs.db'}", future=True)
    staff.add_user(engine, user, PASSWORD)
    engine.dispose()

    today = funnel.local_day()
    query = f"from={today - timedelta(days=6)}&to={today}"
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
        page.goto(f"{live_settings.web_url}/staff/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/staff/handoffs")
        page.get_by_role("link", name="Recruitment").click()
        page.wait_for_url("**/staff/funnel")
        expect(page.get_by_role("heading", name="How recruitment is going")).to_be_visible()
        page.fill("#f-from", str(today - timedelta(days=6)))
        page.fill("#f-to", str(today))
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"**/staff/funnel?{query}")

        # What the page draws is what the API counts (counters are written in the
        # background: read both once nothing more arrives).
        _settled(live_settings)
        page.reload()
        counts = _api_funnel(live_settings, query)
        for stage in counts["stages"]:
            bar = page.locator(f"#funnel-chart g[data-event={stage['event']}]")
            expect(bar.locator("text.count")).to_have_text(str(stage["count"]))
        chart = page.locator("#funnel-chart")
        expect(chart).to_be_visible()
        widths = [
            float(w or 0)
            for w in page.locator("#funnel-chart rect.bar").evaluate_all(
                "rects => rects.map(r => r.getAttribute('width'))"
            )
        ]
        largest = max(s["count"] for s in counts["stages"])
        assert widths == [  # each bar in proportion to its count
            max(2, round(380 * s["count"] / largest)) if s["count"] else 0 for s in counts["stages"]
        ]
        assert all(w > 0 for w in widths[:5])  # views, chats, offered, started, finished
        expect(page.locator("#dropoff-chart g[data-question=age]")).to_be_visible()
        age = next(q for q in counts["questions"] if q["id"] == "age")
        expect(page.locator("#questions-table tr[data-question=age] td").nth(2)).to_have_text(
            str(age["asked"])
        )
        assert age["asked"] >= 3 and age["answered"] >= 3
        expect(page.locator("#reasons-table tr[data-reason=age]")).to_be_visible()
        expect(page.locator(".results li[data-result=needs_review] strong")).to_have_text(
            str(counts["results"]["needs_review"])
        )
        shot = SCREENSHOTS / "funnel-desktop-1280x800.png"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        page.set_viewport_size(PHONE)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, "the page scrolls sideways on a phone"
        screenshot(page, "funnel-phone-390x844")
        assert not errors, errors
    finally:
        context.close()
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, DOCS / shot.name)
