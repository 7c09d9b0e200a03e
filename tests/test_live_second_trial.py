"""A second, made-up trial (tests/fixtures/trials/demo-hand-eczema/) on the live stack.

The same code and model, with TRIAL pointing at the fixture folder: the FAQ answers come from
its answers.yml, the prescreen asks only its questions (a number question, no pregnancy one)
and the stored handoff, the staff API and the inbox show its questions, labels and id. Nothing
outside that folder was changed to add it.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.ops.settings import Settings
from tests.conftest import (
    API_TOKEN,
    Conversation,
    Mailbox,
    live_environment,
    poll,
    running_stack,
    spare_settings,
    staff_login,
    texts,
)

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "tests" / "fixtures" / "trials" / "demo-hand-eczema"
TRIAL = yaml.safe_load((FOLDER / "trial.yml").read_text(encoding="utf-8"))
ANSWERS = yaml.safe_load((FOLDER / "answers.yml").read_text(encoding="utf-8"))["answers"]
QUESTION_IDS = [c["id"] for c in yaml.safe_load((FOLDER / "criteria.yml").read_text())["criteria"]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Settings]:
    """A stack of its own (ports from TEST_PORT_BASE) serving the made-up trial."""
    settings = spare_settings(tmp_path_factory.mktemp("demo-var"))
    patch = live_environment(mailbox, TRIAL=str(FOLDER.relative_to(ROOT)))
    with running_stack(settings, patch):
        yield settings


def _api(settings: Settings, path: str) -> Any:
    request = urllib.request.Request(f"{settings.web_url}{path}")
    request.add_header("Authorization", f"Bearer {API_TOKEN}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_public_page_is_the_trial_folders(demo: Settings) -> None:
    with urllib.request.urlopen(f"{demo.web_url}/", timeout=10) as response:
        page = response.read().decode()
    assert TRIAL["page"]["headline"] in page and TRIAL["nct_id"] in page
    assert "flared up at least 2 times" in page  # page.html of the folder
    assert "dermatomyositis" not in page.lower()


def test_a_faq_answer_comes_from_the_trial_folder(demo: Settings) -> None:
    chat = Conversation(demo.rasa_url)
    reply = texts(chat("what is this study about?"))
    assert " ".join(ANSWERS["faq/purpose"]["text"].split()) in reply
    assert "dermatomyositis" not in reply.lower()


def test_prescreen_to_handoff_inbox_and_api(demo: Settings, mailbox: Mailbox) -> None:
    chat = Conversation(demo.rasa_url)
    chat("can I join?")
    asked = [texts(chat("Yes, let's start"))]
    # age, hand eczema, flares (a number), JAK pills, steroid cream; "yes and I took
    # prednisone" names a medicine no question of this trial asks about.
    for answer in ["40", "yes, and I took prednisone", "about five times", "No", "Yes"]:
        asked.append(texts(chat(answer)))
    said = " ".join(asked)
    assert "flare up in the last 6 months" in said
    assert "pregnant" not in said.lower()
    assert "Flares in the last 6 months: 5" in said
    chat("Yes, share my answers")
    chat("Dana Demo")
    chat("dana.demo@example.com")
    done = texts(chat("weekday mornings"))
    found = re.search(r"reference code is ([A-Z0-9]{4})", done)
    assert found, done
    ref = found.group(1)

    # The stored handoff holds only this trial's questions, and names the trial.
    items = [i for i in _api(demo, "/api/handoffs")["items"] if i["reference"] == ref]
    assert len(items) == 1
    item = items[0]
    assert item["outcome"] == "likely_eligible"
    assert list(item["answers"]["answers"]) == QUESTION_IDS
    assert item["answers"]["answers"]["flares"] == 5
    assert item["answers"]["trial"] == TRIAL["nct_id"]

    # The notification names this trial's study.
    mail = poll(lambda: [m for m in mailbox.messages if ref in m])
    assert TRIAL["study_name"] in mail[0].replace("=\r\n", "").replace("\r\n", " ")

    # The inbox: the trial in the header, its staff labels on the detail page.
    opener = staff_login(demo.web_url, demo.var_dir)
    listing = opener.open(f"{demo.web_url}/staff/handoffs", timeout=10).read().decode()
    assert ref in listing and TRIAL["nct_id"] in listing
    detail = opener.open(f"{demo.web_url}/staff/handoffs/{item['id']}", timeout=10).read()
    html = detail.decode()
    for label in ("Hand eczema diagnosed by a physician", "Age 12-75", "Prior oral JAK"):
        assert label in html, label
    assert "Dermatomyositis" not in html and "Contraception" not in html
