"""A full prescreen on the live bot reaches staff: store -> e-mail -> API -> inbox page.

Everything is real: the Rasa and action servers, the web app with its outbox worker, an
aiosmtpd mail server, a SQLite handoff store, an HTTP client logging in like a coordinator.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.ops.settings import Settings
from bot.staff import users as staff
from tests.conftest import API_TOKEN, Conversation, Mailbox, poll, texts

pytestmark = pytest.mark.live

NAME = "Zelda <script>alert(1)</script> Quux"
EMAIL = "zelda.quux@example.com"
PHONE = "216-555-0199"


def _api(settings: Settings, path: str, token: str | None = API_TOKEN) -> tuple[int, object]:
    request = urllib.request.Request(f"{settings.web_url}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def test_prescreen_to_inbox(chat: Conversation, live_settings: Settings, mailbox: Mailbox) -> None:
    chat("can I join?")
    chat("Yes, let's start")
    for answer in ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]:
        chat(answer)
    chat("Yes, share my answers")
    # A name with HTML in it: the bot refuses it as a name, so type a plain one after.
    chat(NAME)
    chat("Zelda Quux")
    chat(f"{EMAIL} or {PHONE}")
    done = texts(chat("weekday mornings"))
    reference = re.search(r"reference code is ([A-Z0-9]{4})", done)
    assert reference, done
    ref = reference.group(1)

    # E-mail: arrives once, names the reference, carries no contact or health details.
    mail = poll(lambda: [m for m in mailbox.messages if ref in m])
    assert len(mail) == 1
    # Headers carry random ids and dates, so look for whole details, and for answers in the body.
    body = mail[0].replace("\r\n", "\n").split("\n\n", 1)[-1]
    for secret in (EMAIL, "Zelda", "Quux", "555-0199", "5550199"):
        assert secret not in mail[0], secret
    assert "Age" not in body and "biopsy" not in body.lower() and "Yes" not in body

    # API: 401 without the token, the item with contact and answers with it.
    assert _api(live_settings, "/api/handoffs", token=None)[0] == 401
    assert _api(live_settings, "/api/handoffs", token="wrong-token-123456")[0] == 401
    status, body = _api(live_settings, "/api/handoffs")
    assert status == 200
    items = [i for i in body["items"] if i["reference"] == ref]
    assert len(items) == 1
    item = items[0]
    assert item["outcome"] == "likely_eligible" and item["status"] == "new"
    assert item["contact"]["email"] == EMAIL and item["contact"]["phone"] == "+12165550199"
    assert item["answers"]

    # Inbox: log in like a coordinator and find it on the list and the detail page.
    engine = sa.create_engine(f"sqlite:///{live_settings.var_dir / 'handoffs.db'}", future=True)
    staff.add_user(engine, "coordinator", "correct horse battery")
    engine.dispose()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{live_settings.web_url}/staff/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token
    form = urllib.parse.urlencode(
        {
            "csrf_token": token.group(1),
            "username": "coordinator",
            "password": "correct horse battery",
        }
    ).encode()
    listing = opener.open(f"{live_settings.web_url}/staff/login", data=form, timeout=10)
    page = listing.read().decode()
    assert ref in page
    detail = opener.open(f"{live_settings.web_url}/staff/handoffs/{item['id']}", timeout=10)
    detail_page = detail.read().decode()
    assert "Zelda Quux" in detail_page and EMAIL in detail_page
    # The transcript travels with the handoff, escaped; delivery is shown as sent.
    assert "Yes, share my answers" in detail_page and "How old are you?" in detail_page
    assert "<script>alert(1)</script>" not in detail_page
    assert "&lt;script&gt;" in detail_page
    assert re.search(r'data-label="Status">sent<', detail_page)


def test_logs_hold_no_names_emails_phones_or_answers(
    chat: Conversation, live_settings: Settings
) -> None:
    chat("I want to talk to a person")
    chat("My neighbour Yolanda Frobisher says the cream burns, is that true?")
    chat("Yes, pass it on")
    chat("Yolanda Frobisher")
    chat("yolanda.frobisher@example.net 216-555-0142")
    chat("mornings")
    logs = "\n".join(
        p.read_text(errors="replace") for p in Path(live_settings.log_dir).glob("*.log")
    )
    for secret in (
        "Frobisher",
        "yolanda.frobisher@example.net",
        "555-0142",
        "5550142",
        "the cream burns",
    ):
        assert secret not in logs, secret
