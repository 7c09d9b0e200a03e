"""The widget on two trials' pages of one deployment (TRIALS), in headless Chromium: the page at
/t/demo-hand-eczema/ sends its trial id with every message (chat.js), so the same question
gets the demo's answer there and this trial's answer at /; each page keeps its own chat in the
tab. The stack is the one of tests/test_live_several_trials.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from bot.ops.settings import Settings
from tests.browser.conftest import open_page
from tests.test_live_several_trials import DEMO, DEMO_PURPOSE, MAIN_PURPOSE, both

pytestmark = [pytest.mark.browser, pytest.mark.live]
__all__ = ["both"]  # the stack fixture, serving both trials

QUESTION = "what is this study about?"


def _first_words(text: str) -> str:
    return re.escape(" ".join(text.split()[:8]))


def test_each_page_gets_its_trials_answer_and_keeps_its_own_chat(
    page: Page, both: Settings
) -> None:
    demo = open_page(page, f"{both.web_url}/t/{DEMO}/")
    page.get_by_role("button", name="Ask a question").first.click()
    demo.wait_for_bot(".")  # the greeting
    after = demo.say(QUESTION)
    demo.wait_for_bot(_first_words(DEMO_PURPOSE), after)

    main = open_page(page, f"{both.web_url}/")  # the same tab: a chat of its own
    page.get_by_role("button", name="Ask a question").first.click()
    main.wait_for_bot(".")
    assert not any("made-up" in t for t in main.bot_messages().all_inner_texts())
    after = main.say(QUESTION)
    answer = main.wait_for_bot(_first_words(MAIN_PURPOSE), after)
    assert "made-up" not in answer

    back = open_page(page, f"{both.web_url}/t/{DEMO}/")  # the demo's chat is still there
    page.get_by_role("button", name="Ask a question").first.click()
    texts = back.bot_messages().all_inner_texts()
    assert any("made-up study" in t for t in texts)
    # (the greeting still names the default study: domain.yml replies are not per trial yet)
    assert not any(" ".join(MAIN_PURPOSE.split()[:8]) in t for t in texts)
