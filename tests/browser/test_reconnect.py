"""The widget survives a Rasa restart: it says it lost the connection, keeps what the patient
types meanwhile, reconnects by itself and sends that message exactly once.

Runs its own stack (free ports, temporary VAR_DIR) so that killing its Rasa server disturbs no
other test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, expect

from bot.ops.settings import Settings
from bot.ops.stack import Stack
from tests.browser.conftest import DESKTOP, REPLY_TIMEOUT_MS, open_page
from tests.conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def own_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("STAFF_INSECURE_COOKIES", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CHAT_SERVER_URL", raising=False)
    settings = Settings.from_env(
        rasa_port=free_port(), action_port=free_port(), web_port=free_port(), var_dir=tmp_path
    )
    stack = Stack(settings)
    with stack:
        yield stack


def test_reconnects_after_the_bot_restarts_and_sends_nothing_twice(
    browser: Browser, own_stack: Stack
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(REPLY_TIMEOUT_MS)
    try:
        page = context.new_page()
        chat = open_page(page, own_stack.settings.web_url + "/")
        page.get_by_role("button", name="Ask a question").click()
        chat.wait_for_bot(r"What would you like to know\?")
        after = chat.say("is there a placebo?")
        chat.wait_for_bot(r"no placebo", after)

        own_stack.kill("Rasa server")
        expect(chat.status).to_have_text("Connection lost. Trying to reconnect…")
        after = chat.say("who runs the study?")
        expect(chat.status).to_contain_text("You are offline")
        expect(chat.log.locator(".msg-pending")).to_have_count(1)

        own_stack.restart("Rasa server")
        expect(chat.status).to_have_text(
            "Connected again. You can keep chatting.", timeout=REPLY_TIMEOUT_MS
        )
        chat.wait_for_bot(r"Cleveland Clinic", after)
        expect(chat.log.locator(".msg-pending")).to_have_count(0)
        # One more turn: any duplicate of the queued message would have been answered first.
        later = chat.say("is the cream safe?")
        chat.wait_for_bot(r"boxed warning", later)
        answers = chat.bot_messages().all_inner_texts()[after:]
        assert sum("Cleveland Clinic" in text for text in answers) == 1, answers
        assert chat.user_messages().all_inner_texts().count("who runs the study?") == 1
    finally:
        context.close()
