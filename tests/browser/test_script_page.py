"""The ethics board's review copy (`python -m bot trial script`) in real headless Chromium: at
phone and desktop width it has no sideways scroll, text of at least 16 px with room between
lines, one heading per group and message, and the changes since the approved copy marked.
Screenshots: docs/screenshots/trial-script-phone-390x844.png and trial-script-changes-phone.png
(all in var/screenshots/). No live bot needed."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page

from bot import content
from bot.faq import lookup as faq
from bot.ops.settings import ROOT
from bot.trial.script import command
from bot.trial.script.document import Script
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, screenshot

pytestmark = [pytest.mark.browser]

DOCS = ROOT / "docs" / "screenshots"
MIN_FONT_PX = 16.0
MIN_LINE_HEIGHT = 1.4

# Every element that holds text itself: its font size and line height, and the widest right
# edge of anything on the page.
MEASURE = """() => {
    const found = [];
    for (const el of document.body.querySelectorAll("*")) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        if (!own) continue;
        const style = getComputedStyle(el);
        found.push({tag: el.tagName.toLowerCase(), size: parseFloat(style.fontSize),
                    line: parseFloat(style.lineHeight) || 0, text: el.textContent.slice(0, 60)});
    }
    const right = Math.max(...[...document.body.querySelectorAll("*")]
        .map(el => el.getBoundingClientRect().right));
    return {texts: found, right: right, scroll: document.documentElement.scrollWidth,
            width: window.innerWidth};
}"""


@contextlib.contextmanager
def _open(browser: Browser, path: Path, viewport: dict[str, int]) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(path.as_uri())
    assert response is not None and response.ok
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Script, Path]:
    """This deployment's trial folder, exported as it is."""
    out = tmp_path_factory.mktemp("script")
    script, html_path, _ = command.write(content.folder(), out)
    return script, html_path


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Script, Path, str]:
    """A copy of the folder, approved, then one word of an answer replaced: the changes
    section has that one change."""
    base = tmp_path_factory.mktemp("edited")
    copy = base / "trial"
    shutil.copytree(content.folder(), copy, ignore=shutil.ignore_patterns("approved"))
    command.write(copy, base / "approved-run", approve=True)
    key = next(k for k in faq.load() if k.startswith("faq/"))
    path = copy / "answers.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = data["answers"][key]["text"].split()
    data["answers"][key]["text"] = " ".join(words[:-2] + ["(edited)", words[-1]])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    script, html_path, _ = command.write(copy, base / "out")
    assert len(script.changes) == 1
    return script, html_path, words[-2]


def _check_readable(measured: dict[str, Any]) -> None:
    assert measured["scroll"] <= measured["width"], "the page scrolls sideways"
    assert measured["right"] <= measured["width"] + 0.5, "something sticks out to the right"
    small = [t for t in measured["texts"] if t["size"] < MIN_FONT_PX]
    assert not small, f"text under {MIN_FONT_PX} px: {small[:5]}"
    cramped = [
        t
        for t in measured["texts"]
        if t["tag"] in ("p", "blockquote", "dd", "li") and t["line"] < MIN_LINE_HEIGHT * t["size"]
    ]
    assert not cramped, f"lines too close: {cramped[:5]}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_review_copy_is_readable(
    browser: Browser, export: tuple[Script, Path], viewport: dict[str, int]
) -> None:
    script, html_path = export
    with _open(browser, html_path, viewport) as page:
        _check_readable(page.evaluate(MEASURE))
        assert page.locator("h1").count() == 1
        groups = page.locator("main > section > h2").all_inner_texts()
        assert groups[1:] == [f"{i}. {g.title}" for i, g in enumerate(script.groups, 1)]
        assert page.locator("article h3").count() == script.count
        assert page.locator("html").get_attribute("lang") == "en"
        name = f"trial-script-{'phone' if viewport == PHONE else 'desktop'}"
        path = screenshot(page, f"{name}-{viewport['width']}x{viewport['height']}")
        if viewport == PHONE:  # the README's picture
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS / path.name)


def test_a_change_since_the_approved_copy_is_marked(
    browser: Browser, edited: tuple[Script, Path, str]
) -> None:
    script, html_path, replaced = edited
    with _open(browser, html_path, PHONE) as page:
        _check_readable(page.evaluate(MEASURE))
        changes = page.locator("section[aria-labelledby=changes]")
        assert changes.locator("ins").all_inner_texts() == ["(edited)"]
        assert changes.locator("del").all_inner_texts() == [replaced]
        number = script.numbers[script.changes[0].message.key]
        changes.get_by_role("link", name=number).click()
        assert page.url.endswith(f"#m{number}")
        changes.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / "trial-script-changes-phone.png"
        changes.screenshot(path=str(path))
        shutil.copy(path, DOCS / path.name)
