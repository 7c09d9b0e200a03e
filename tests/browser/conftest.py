"""Browser tests of the public page and its chat widget: real headless Chromium (Debian's
`chromium`, driven by Python Playwright) against the live bot's web app and Rasa server."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from bot.ops.settings import ROOT, Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "web" / "widget" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# The bot answers in well under a second; a busy 2-core machine (training, other suites) can
# make that many seconds.
REPLY_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module: Playwright's sync API keeps an event loop running while
    it is open, which would break the asyncio tests collected after these."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run `make setup` (scripts/install-system-packages)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def site(live_bot: str, live_settings: Settings) -> str:
    """URL of the public page, served by the live bot's web app."""
    return live_settings.web_url + "/"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=DESKTOP, locale="en-US")
    made.set_default_timeout(REPLY_TIMEOUT_MS)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails its test on any JavaScript error or console error (CSP violations,
    missing assets, failed connections)."""
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield opened
    assert not errors, f"errors in the page: {errors}"


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


class Chat:
    """The widget as a patient sees it: the panel, its messages and its buttons."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.panel = page.locator("#chat-panel")
        self.log = page.locator("#chat-log")
        self.input = page.locator("#chat-input")
        self.status = page.locator("#chat-status")

    def bot_messages(self) -> Locator:
        return self.log.locator(".msg-bot .msg-text")

    def user_messages(self) -> Locator:
        return self.log.locator(".msg-user .msg-text")

    def replies(self) -> Locator:
        return self.log.locator(".chat-reply")

    def reply(self, title: str) -> Locator:
        return self.log.get_by_role("button", name=title, exact=True)

    def bot_count(self) -> int:
        return self.bot_messages().count()

    def wait_for_bot(self, pattern: str, after: int = 0) -> str:
        """Waits for a bot message (the after-th or a later one) matching pattern; returns the
        latest such text. (Polled from here: the page's CSP forbids wait_for_function.)"""
        regex = re.compile(pattern, re.IGNORECASE)
        deadline = time.monotonic() + REPLY_TIMEOUT_MS / 1000
        while True:
            texts = self.bot_messages().all_inner_texts()[after:]
            found = [t for t in texts if regex.search(t)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no bot message matches {pattern!r} after #{after}: {texts}")
            self.page.wait_for_timeout(100)

    def say(self, text: str) -> int:
        """Types a message and sends it with Enter; returns the bot message count before it."""
        before = self.bot_count()
        self.input.fill(text)
        self.input.press("Enter")
        return before

    def pick(self, title: str) -> int:
        before = self.bot_count()
        self.reply(title).click()
        return before


def open_page(page: Page, site: str) -> Chat:
    response = page.goto(site)
    assert response is not None and response.ok
    return Chat(page)


def axe_scan(page: Page) -> list[dict[str, Any]]:
    """Runs axe-core (WCAG 2.0/2.1 A and AA rules) in the page; returns serious/critical hits."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make widget`")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                            "best-practice"]},
            resultTypes: ["violations"],
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
