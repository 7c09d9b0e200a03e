"""The staff pages escape whatever a patient typed: hypothesis-made text through the real web app.

Each example stores a handoff whose name, best time, answer reasons, open questions and
transcript hold markup around a unique token, then reads the inbox list and detail page over
HTTP (aiohttp test server, real SQLite store). Wherever the token shows, it shows escaped.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from bot.staff import users as staff
from bot.store.handoff import HandoffStore
from tests.bad_input.strategies import CONTROL, EMOJI, RTL, SQL
from tests.web.conftest import PASSWORD, USER, handoff, login, staff_app

PAYLOADS = [
    '<script>alert("{t}")</script>',
    "<img src=x onerror=alert('{t}')>",
    '"><svg onload=alert({t})>',
    "</textarea></li><b>{t}</b>",
    "<a href=\"javascript:alert('{t}')\">{t}</a>",
    "{{{{ {t} }}}} {{% {t} %}}",
    "&lt;{t}&gt; &amp; <!-- {t} -->",
]
# Noise around the payload: arbitrary Unicode (no line breaks, which pages may fold), emoji,
# right-to-left text, control characters, SQL.
NOISE = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), max_size=15),
    st.sampled_from(EMOJI + RTL[:4] + CONTROL[:5] + SQL[:3]),
)


@st.composite
def marked_text(draw: st.DrawFn) -> tuple[str, str]:
    """(text, payload): noise + a markup payload holding a unique token + noise."""
    token = "T" + uuid.uuid4().hex[:12]
    payload = draw(st.sampled_from(PAYLOADS)).format(t=token)
    return f"{draw(NOISE)} {payload} {draw(NOISE)}", payload


async def _pages(url: str, marked: list[tuple[str, str]]) -> dict[str, str]:
    """Store one handoff per text; return the inbox list and each detail page by payload."""
    store = HandoffStore(url, channels=[])
    references = {}
    for text, payload in marked:
        record = handoff(
            f"c-{uuid.uuid4().hex[:8]}",
            outcome="needs_review",
            contact={"name": text, "email": "x@example.com", "phone": None, "best_time": text},
            answers={
                "answers": {"age": 52, "flare": "unsure"},
                "reasons": {"flare": {"status": "review", "text": text}},
            },
            questions=[text],
            transcript=[{"who": "patient", "text": text}, {"who": "assistant", "text": "Thanks."}],
        )
        references[payload] = store.submit(record)[0]
    staff.add_user(store.engine, USER, PASSWORD)
    with store.engine.connect() as connection:
        ids = dict(connection.execute(sa.text("select reference, id from handoffs")).all())
    store.engine.dispose()
    app = staff_app(url)
    pages = {}
    async with TestClient(TestServer(app)) as client:
        assert await login(client) == 303
        listing = await client.get("/staff/handoffs")
        assert listing.status == 200
        pages["list"] = await listing.text()
        for payload, reference in references.items():
            detail = await client.get(f"/staff/handoffs/{ids[reference]}")
            assert detail.status == 200
            pages[payload] = await detail.text()
    return pages


@pytest.fixture(autouse=True)
def handoff_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A throwaway key, so the test never touches var/handoff.key."""
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())


@given(st.lists(marked_text(), min_size=6, max_size=6))
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_staff_pages_escape_what_patients_type(marked: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'handoffs.db'}"
        pages = asyncio.run(_pages(url, marked))
    for _, payload in marked:
        token = payload[payload.index("T") :][:13]
        escaped = str(escape(payload))
        detail = pages[payload]
        # Name, best time, answer reason, open question and transcript: all escaped.
        assert detail.count(escaped) >= 5, (payload, detail[:3000])
        for page in (pages["list"], detail):
            assert "<" not in payload or payload not in page, payload
            # Every time the token is shown (whole, or cut short in a list column), it is
            # inside escaped text: never right after a raw tag, comment or quote.
            assert page.count(token) >= page.count(escaped) * payload.count(token), payload
            assert not re.search(rf"<(!-- )?{token}|<script>alert\(\"{token}", page), payload
