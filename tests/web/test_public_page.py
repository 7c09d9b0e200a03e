"""The public trial page over HTTP (no browser): its words, its headers, its assets.

The browser tests (tests/browser/) drive the chat widget itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import textstat
from aiohttp.test_utils import TestClient, TestServer

from bot.web.public import chat_origins, public_csp
from bot.web.security import CSP
from tests.test_responses import FACTS, MAX_GRADE
from tests.web.conftest import ClientFactory, staff_app

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = ("p", "li", "h1", "h2", "button")


class _Text(HTMLParser):
    """The page's readable text, one string per paragraph, list item, heading or button."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "head"):
            self._hidden += 1
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "head"):
            self._hidden -= 1
        if tag in BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._current.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []


def page_blocks(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.blocks


async def fetch_page(client: TestClient) -> str:
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    return await response.text()


async def test_page_states_the_key_facts_and_the_privacy_note(make_client: ClientFactory) -> None:
    text = " ".join(page_blocks(await fetch_page(await make_client())))
    for fact in (
        "ruxolitinib 1.5% cream",  # purpose
        "18 to 89 years old",  # who can join
        "biopsy",
        "up to about 12 weeks",  # what happens
        "About 15 people",
        "Cleveland Clinic runs the study",  # who runs it
        "Anthony Fernandez, MD",
        "There is no placebo",
        "Check if I might qualify",
    ):
        assert fact in text, fact
    privacy = text[text.index("Your privacy in the chat") :]
    for point in ("not a doctor", "911", "chat server", "only if you say yes", "close this tab"):
        assert point in privacy, point
    assert "Start over" in privacy
    assert "you are eligible" not in text.lower()


async def test_page_reads_at_grade_8_or_below(make_client: ClientFactory) -> None:
    blocks = page_blocks(await fetch_page(await make_client()))
    assert len(blocks) > 20
    for block in blocks:
        grade = textstat.flesch_kincaid_grade(block)
        assert grade <= MAX_GRADE, f"grade {grade}: {block}"
    whole = " ".join(b if b.endswith((".", "?", "!", ":")) else b + "." for b in blocks)
    assert textstat.flesch_kincaid_grade(whole) <= MAX_GRADE


async def test_page_numbers_come_from_the_sources(make_client: ClientFactory) -> None:
    sources = " ".join(p.read_text() for p in FACTS if p.exists())
    if not sources:
        pytest.skip("shared/trial sources not beside the checkout")
    allowed = set(re.findall(r"\d+(?:\.\d+)?", sources)) | {"911", "988"}
    text = " ".join(page_blocks(await fetch_page(await make_client())))
    for number in re.findall(r"\d+(?:\.\d+)?", text):
        assert number in allowed, f"the page states {number}, not in the trial sources"


async def test_csp_allows_exactly_the_chat_server(sqlite_url: str) -> None:
    app = staff_app(sqlite_url, api_token=None, chat_server="http://127.0.0.1:5999")
    async with TestClient(TestServer(app)) as client:
        html = await fetch_page(client)
        page = await client.get("/")
        csp = page.headers["Content-Security-Policy"]
        assert "connect-src 'self' http://127.0.0.1:5999 ws://127.0.0.1:5999;" in csp
        assert "script-src 'self';" in csp and "unsafe" not in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in page.headers  # the public page sets no cookie
        assert 'data-chat-server="http://127.0.0.1:5999"' in html
        # The staff pages keep the strict policy, without the chat server.
        login = await client.get("/staff/login")
        assert login.headers["Content-Security-Policy"] == CSP
        assert "connect-src" not in CSP


async def test_widget_and_vendored_socketio_are_served(make_client: ClientFactory) -> None:
    client = await make_client()
    html = await fetch_page(client)
    for src in re.findall(r'<script src="([^"]+)"', html):
        response = await client.get(src)
        assert response.status == 200, f"{src}: run `make widget`"
        assert "javascript" in response.content_type
    assert "/static/vendor/socket.io.min.js" in html
    assert (await client.get("/static/")).status in (403, 404)  # no directory listing
    assert (await client.get("/static/../app.py")).status in (403, 404)


def test_chat_server_url_forms() -> None:
    assert chat_origins("https://chat.example.org") == [
        "https://chat.example.org",
        "wss://chat.example.org",
    ]
    assert chat_origins("/") == []
    assert "connect-src 'self';" in public_csp("/")
    for bad in ("javascript:alert(1)", "ftp://x", "http://a b", "http://x;script-src *", "x"):
        with pytest.raises(ValueError):
            chat_origins(bad)
