"""Several handoffs in one conversation, over the live REST webhook, checked through the staff
API (`GET /api/handoffs`): every part is kept, each reply names its own reference, and a resent
final message stores nothing new."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from bot.ops.settings import Settings
from tests.conftest import API_TOKEN, Conversation, Mailbox, poll, texts

pytestmark = pytest.mark.live

ELIGIBLE_BUTTONS = ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Does not apply"]
NAME, EMAIL = "Jane Manyparts", "jane.manyparts@example.com"


def api_handoffs(settings: Settings, conversation_id: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"conversation_id": conversation_id})
    request = urllib.request.Request(
        f"{settings.web_url}/api/handoffs?{query}",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        items: list[dict[str, Any]] = json.loads(response.read())["items"]
    return sorted(items, key=lambda item: item["id"])  # oldest first


def ask_team(chat: Conversation, question: str) -> str:
    assert "ask the study team" in texts(chat("I want to talk to a real person"))
    assert "May I share" in texts(chat(question))
    assert "name" in texts(chat("Yes, pass it on")).lower()
    chat(NAME)
    assert "best time" in texts(chat(EMAIL))
    return texts(chat("anytime after 3pm"))


def ask_team_again(chat: Conversation, question: str) -> str:
    """A question after a handoff: its answer offers the team; yes passes it on with the
    details given before, never asking for them again."""
    assert "Would you like to reach them?" in texts(chat(question))
    assert question in texts(chat("/talk_to_person"))  # "Yes, reach the study team"
    reused = texts(chat("Yes, pass it on"))
    assert f"details you gave before: {NAME}, " in reused and "Is that OK?" in reused, reused
    return texts(chat("Yes"))


def prescreen(chat: Conversation, again: bool = False) -> str:
    """A prescreen to the end; ``again``: after a handoff, with the details given then."""
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))
    for answer in ELIGIBLE_BUTTONS[:-1]:
        chat(answer)
    assert "may be a good fit" in texts(chat(ELIGIBLE_BUTTONS[-1]))
    if again:
        reused = texts(chat("Yes, share my answers"))
        assert f"details you gave before: {NAME}, " in reused and "Is that OK?" in reused, reused
        return texts(chat("Yes"))
    assert "contact you" in texts(chat("Yes, share my answers"))
    chat(NAME)
    assert "best time" in texts(chat(EMAIL))
    return texts(chat("weekday mornings"))


def check_question(item: dict[str, Any], question: str, reply: str) -> None:
    assert item["kind"] == "question" and item["outcome"] == "question"
    assert item["questions"] == [question]
    assert item["contact"]["email"] == EMAIL
    assert item["reference"] in reply and "sent your question" in reply, reply


def check_prescreen(item: dict[str, Any], reply: str) -> None:
    assert item["kind"] == "prescreen" and item["outcome"] == "likely_eligible"
    given = item["answers"]["answers"]
    assert given["age"] == 52 and len(given) == len(ELIGIBLE_BUTTONS), given
    assert item["contact"]["email"] == EMAIL and item["contact"]["best_time"]
    assert item["reference"] in reply and "sent your answers" in reply, reply


def check_linked(items: list[dict[str, Any]]) -> None:
    references = [item["reference"] for item in items]
    assert len(set(references)) == len(items)
    for item in items:
        others = [r for r in references if r != item["reference"]]
        assert [r["reference"] for r in item["related"]] == others


def test_question_then_prescreen_keeps_both(chat: Conversation, live_settings: Settings) -> None:
    question = "Can I bring my sister to the first visit?"
    first = ask_team(chat, question)
    second = prescreen(chat, again=True)
    items = api_handoffs(live_settings, chat.sender)
    assert len(items) == 2, items
    check_question(items[0], question, first)
    check_prescreen(items[1], second)
    assert items[0]["reference"] not in second  # the reply names the new record, not the old
    check_linked(items)
    # The same final message sent again (double tap, client retry): nothing new is stored.
    chat("Yes")
    assert len(api_handoffs(live_settings, chat.sender)) == 2


def test_prescreen_then_question_keeps_both(chat: Conversation, live_settings: Settings) -> None:
    first = prescreen(chat)
    question = "Will the study pay for my parking at the clinic?"
    second = ask_team_again(chat, question)
    items = api_handoffs(live_settings, chat.sender)
    assert len(items) == 2, items
    check_prescreen(items[0], first)
    check_question(items[1], question, second)
    check_linked(items)
    chat("Yes")  # the last message again (double tap, retry): nothing new is stored
    assert len(api_handoffs(live_settings, chat.sender)) == 2


def test_two_questions_in_one_conversation_keep_both(
    chat: Conversation, live_settings: Settings
) -> None:
    questions = ["Can I bring my sister to the first visit?", "Do I get paid for the visits?"]
    replies = [ask_team(chat, questions[0]), ask_team_again(chat, questions[1])]
    items = api_handoffs(live_settings, chat.sender)
    assert len(items) == 2, items
    for item, question, reply in zip(items, questions, replies, strict=True):
        check_question(item, question, reply)
    check_linked(items)
    chat("Yes")  # the last message again (double tap, retry): nothing new is stored
    assert len(api_handoffs(live_settings, chat.sender)) == 2


def test_follow_ups_after_a_handoff_never_ask_for_the_details_again(
    chat: Conversation, live_settings: Settings, mailbox: Mailbox
) -> None:
    """Tester C7: "how long until they call" after a handoff, then "get me a human"."""
    first = ask_team(chat, "Can I bring my sister to the first visit?")
    wait = texts(chat("how long until they call"))
    items = api_handoffs(live_settings, chat.sender)
    assert items[0]["reference"] in wait and "will contact you" in wait, wait
    assert "If you share your contact details" not in wait
    asked = texts(chat("this is useless. get me a human"))
    # The message now is passed on, not "how long until they call".
    assert "this is useless. get me a human" in asked and "how long" not in asked, asked
    reused = texts(chat("Yes, pass it on"))
    assert f"details you gave before: {NAME}" in reused and "What name" not in reused, reused
    second = texts(chat("Yes"))
    items = api_handoffs(live_settings, chat.sender)
    assert len(items) == 2, items
    assert items[1]["questions"] == ["this is useless. get me a human"]
    assert items[1]["contact"]["email"] == EMAIL and items[1]["contact"]["name"] == NAME
    assert items[1]["reference"] in second and items[0]["reference"] in first
    # Both are notified: one e-mail each, naming its own reference.
    for item in items:
        assert poll(lambda ref=item["reference"]: [m for m in mailbox.messages if ref in m])
