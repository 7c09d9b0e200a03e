"""One deployment serving two trials (TRIALS=nct06857240,<the made-up demo folder>) on ONE live
stack: each trial's page (/ and /t/demo-hand-eczema/) carries its id, the widget sends it in
every message's metadata, and the bot answers, prescreens and hands over by that trial; the
staff API, inbox and CSV carry and filter by it. The default trial's conversations are
unaffected, and an unknown trial id falls back to the default trial.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.ops.settings import Settings
from tests.conftest import (
    API_TOKEN,
    Mailbox,
    live_environment,
    running_stack,
    spare_settings,
    staff_login,
    texts,
    widget_session,
)

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]
DEMO_FOLDER = ROOT / "tests" / "fixtures" / "trials" / "demo-hand-eczema"
MAIN_FOLDER = ROOT / "trials" / "nct06857240"
DEMO = "demo-hand-eczema"
MAIN = "nct06857240"


def _yaml(folder: Path, name: str) -> Any:
    return yaml.safe_load((folder / name).read_text(encoding="utf-8"))


DEMO_TRIAL, MAIN_TRIAL = _yaml(DEMO_FOLDER, "trial.yml"), _yaml(MAIN_FOLDER, "trial.yml")
DEMO_PURPOSE = " ".join(_yaml(DEMO_FOLDER, "answers.yml")["answers"]["faq/purpose"]["text"].split())
MAIN_PURPOSE = " ".join(_yaml(MAIN_FOLDER, "answers.yml")["answers"]["faq/purpose"]["text"].split())
DEMO_IDS = [c["id"] for c in _yaml(DEMO_FOLDER, "criteria.yml")["criteria"]]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Settings]:
    """One stack (ports from TEST_PORT_BASE) serving this trial (the default) and the demo."""
    settings = spare_settings(tmp_path_factory.mktemp("several-var"))
    patch = live_environment(mailbox, TRIALS=f"{MAIN},{DEMO_FOLDER.relative_to(ROOT)}")
    patch.delenv("TRIAL", raising=False)
    with running_stack(settings, patch):
        yield settings


class Chat:
    """A patient on one trial's page, over REST: every message carries the page's trial id
    in its metadata (as the widget sends it); trial=None sends no metadata."""

    def __init__(self, settings: Settings, trial: str | None) -> None:
        self.url = f"{settings.rasa_url}/webhooks/rest/webhook"
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.trial = trial

    def __call__(self, text: str) -> str:
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.trial is not None:
            body["metadata"] = {"trial": self.trial}
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return texts(json.loads(response.read()))


def _get(settings: Settings, path: str, token: bool = False) -> tuple[int, str]:
    request = urllib.request.Request(f"{settings.web_url}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {API_TOKEN}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def _api(settings: Settings, path: str) -> Any:
    status, body = _get(settings, path, token=True)
    assert status == 200, (path, status)
    return json.loads(body)


def test_each_trial_has_its_page_and_the_widget_carries_its_id(both: Settings) -> None:
    status, main = _get(both, "/")
    assert status == 200 and MAIN_TRIAL["page"]["headline"] in main
    assert f'data-trial="{MAIN}"' in main and "data-store-suffix" not in main
    status, demo = _get(both, f"/t/{DEMO}/")
    assert status == 200 and DEMO_TRIAL["page"]["headline"] in demo
    assert f'data-trial="{DEMO}"' in demo and f'data-store-suffix="{DEMO}"' in demo
    assert "dermatomyositis" not in demo.lower()
    assert _get(both, "/t/no-such-trial/")[0] == 404
    assert _get(both, f"/t/{DEMO}")[0] == 200  # redirected to the page with its slash


def test_a_question_on_each_page_gets_that_trials_answer(both: Settings) -> None:
    question = "what is this study about?"
    demo = Chat(both, DEMO)(question)
    assert DEMO_PURPOSE in demo and "dermatomyositis" not in demo.lower()
    assert MAIN_PURPOSE in Chat(both, MAIN)(question)
    assert MAIN_PURPOSE in Chat(both, None)(question)  # no trial id: the default trial
    for unknown in ("no-such-trial", "../trials", ""):  # never an error
        assert MAIN_PURPOSE in Chat(both, unknown)(question), unknown
    for metadata in (["a", "list"], "text", {"trial": 17}):
        body = {"sender": f"test-{uuid.uuid4().hex[:12]}", "message": question}
        request = urllib.request.Request(
            f"{both.rasa_url}/webhooks/rest/webhook",
            data=json.dumps({**body, "metadata": metadata}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert MAIN_PURPOSE in texts(json.loads(response.read())), metadata


async def test_the_socketio_path_carries_the_trial(both: Settings) -> None:
    async with widget_session(both.rasa_url) as chat:
        got = await chat.say("what is this study about?", quiet=0, metadata={"trial": DEMO})
    assert DEMO_PURPOSE in str(got[0].get("text", ""))


def test_a_demo_prescreen_beside_a_default_one(both: Settings, mailbox: Mailbox) -> None:
    demo, main = Chat(both, DEMO), Chat(both, MAIN)
    demo("can I join?")
    main("can I join?")
    # Turn by turn, side by side: each asks its own trial's questions.
    assert "How old are you?" in demo("Yes, let's start")
    assert "How old are you?" in main("Yes, let's start")
    assert "eczema on your hands" in demo("40")
    assert "dermatomyositis" in main("52").lower()
    asked = [demo(answer) for answer in ["yes, and I took prednisone", "about five times"]]
    asked += [demo("No"), demo("Yes")]
    said = " ".join(asked)
    assert "flare up in the last 6 months" in said and "pregnant" not in said.lower()
    assert "Flares in the last 6 months: 5" in said
    demo("Yes, share my answers")
    demo("Dana Demo")
    demo("dana.demo@example.com")
    done = demo("weekday mornings")
    found = re.search(r"reference code is ([A-Z0-9]{4})", done)
    assert found, done
    ref = found.group(1)
    # The default trial's prescreen went on with its own questions meanwhile.
    assert "biopsy" in main("yes").lower()

    # The API: the record names the demo trial; the trial filter finds it by id or nct_id.
    items = [i for i in _api(both, "/api/handoffs")["items"] if i["reference"] == ref]
    assert len(items) == 1 and items[0]["trial"] == DEMO_TRIAL["nct_id"]
    assert list(items[0]["answers"]["answers"]) == DEMO_IDS
    for value in (DEMO, DEMO_TRIAL["nct_id"].lower()):
        found_items = _api(both, f"/api/handoffs?trial={value}")["items"]
        assert [i["reference"] for i in found_items] == [ref]
    assert ref not in json.dumps(_api(both, f"/api/handoffs?trial={MAIN}"))

    # The staff e-mail names the demo's study (the outbox reads the record's trial).
    deadline = time.monotonic() + 20
    while not (mail := [m for m in mailbox.messages if ref in m]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert mail, "no notification"
    assert DEMO_TRIAL["study_name"] in mail[0].replace("=\r\n", "").replace("\r\n", " ")

    # The inbox filter and the CSV of the demo trial: its record, its question labels.
    ncts = (MAIN_TRIAL["nct_id"], DEMO_TRIAL["nct_id"])
    opener = staff_login(both.web_url, both.var_dir, trials=ncts)  # staff of both trials
    listing = opener.open(f"{both.web_url}/staff/handoffs?trial={DEMO}", timeout=10).read()
    assert ref in listing.decode() and 'id="f-trial"' in listing.decode()
    other = opener.open(f"{both.web_url}/staff/handoffs?trial={MAIN}", timeout=10).read()
    assert ref not in other.decode()
    detail = opener.open(f"{both.web_url}/staff/handoffs/{items[0]['id']}", timeout=10).read()
    assert "Hand eczema diagnosed by a physician" in detail.decode()
    assert "Dermatomyositis" not in detail.decode()
    exported = opener.open(f"{both.web_url}/staff/handoffs.csv?trial={DEMO}", timeout=10)
    rows = list(csv.DictReader(io.StringIO(exported.read().decode())))
    assert [(r["reference"], r["trial"]) for r in rows] == [(ref, DEMO_TRIAL["nct_id"])]
    assert any(name.startswith("Hand eczema flares") for name in rows[0])

    # Staff of the main trial only (review finding 5): the demo's record is not theirs.
    main_only = staff_login(both.web_url, both.var_dir, "main-only", (MAIN_TRIAL["nct_id"],))
    queue = main_only.open(f"{both.web_url}/staff/handoffs", timeout=10).read().decode()
    assert ref not in queue and 'id="f-trial"' not in queue
    with pytest.raises(urllib.error.HTTPError) as refused:
        main_only.open(f"{both.web_url}/staff/handoffs/{items[0]['id']}", timeout=10)
    assert refused.value.code == 404
    exported = main_only.open(f"{both.web_url}/staff/handoffs.csv", timeout=10)
    rows = list(csv.DictReader(io.StringIO(exported.read().decode())))
    assert {r["trial"] for r in rows} <= {MAIN_TRIAL["nct_id"]} and ref not in str(rows)
