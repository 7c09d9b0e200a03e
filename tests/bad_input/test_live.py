"""Bad input against the live bot over the REST webhook: every reply sane and kind, no 500s,
no state shared between senders. Hypothesis counts are small: each example is a real turn."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.nlu.input_check import MAX_CHARS
from tests.bad_input.strategies import (
    CONTROL,
    EMOJI,
    MARKUP,
    OTHER_LANGUAGES,
    RTL,
    SPANISH,
    SQL,
    WHITESPACE,
    bad_messages,
    long_text,
    reply_problems,
)
from tests.conftest import Conversation, button_titles, post_message, texts

pytestmark = pytest.mark.live

# The same examples on every run: a live turn is too slow to search anew each time, and
# `make test` should not pass or fail by chance. (The plain-Python tests search at random.)
LIVE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Generous for a busy 2-core machine; a 10,000-character message used to take 10 s.
MAX_SECONDS_PER_TURN = 5.0
ENGLISH_ONLY = "I can only answer in English"
AGE_QUESTION = "How old are you?"


def new_sender() -> str:
    return f"bad-{uuid.uuid4().hex[:12]}"


def timed(base_url: str, sender: str, text: str) -> tuple[list[dict[str, Any]], float]:
    start = time.monotonic()
    reply = post_message(base_url, sender, text)  # asserts HTTP 200
    return reply, time.monotonic() - start


def at_age_question(base_url: str) -> Conversation:
    chat = Conversation(base_url)
    chat("can I join the study?")
    assert AGE_QUESTION in texts(chat("Yes, let's start"))
    return chat


@given(text=bad_messages())
@settings(LIVE, max_examples=45)
def test_any_bad_message_gets_a_kind_reply(live_bot: str, text: str) -> None:
    # Timed the second time it is sent: a one-time cost (a first message of a new length or
    # language right after start, while the other test worker starts its own stack) is not a
    # hang; a message that is slow to read is slow both times.
    timed(live_bot, new_sender(), text)
    reply, seconds = timed(live_bot, new_sender(), text)
    assert not reply_problems(reply), (text[:80], reply)
    assert seconds < MAX_SECONDS_PER_TURN, (text[:80], seconds)


# During the prescreen: none of these is an answer, so the question is asked again.
NOT_ANSWERS = st.one_of(
    st.sampled_from(WHITESPACE),
    st.lists(st.sampled_from(EMOJI), min_size=1, max_size=10).map("".join),
    st.lists(st.sampled_from(CONTROL), min_size=1, max_size=5).map("".join),
    st.sampled_from(RTL + MARKUP + SQL[:1] + SPANISH + OTHER_LANGUAGES),
    long_text(),
)


def test_bad_messages_mid_prescreen_keep_the_question(live_bot: str) -> None:
    chat = at_age_question(live_bot)

    @given(text=NOT_ANSWERS)
    @settings(LIVE, max_examples=20)
    def one_message(text: str) -> None:
        reply = chat(text)
        assert not reply_problems(reply), (text[:80], reply)
        if len(text) > MAX_CHARS:  # refused by the channel, unread: the question still waits
            assert "long message" in texts(reply), (text[:80], reply)
        else:
            assert AGE_QUESTION in texts(reply), (text[:80], reply)

    one_message()
    assert "Question 2 of" in texts(chat("52"))


@pytest.mark.parametrize("text", ["", "   ", "\n", "😀", "\x1b[31m"])
def test_an_empty_message_mid_prescreen_asks_again(live_bot: str, text: str) -> None:
    chat = at_age_question(live_bot)
    reply = chat(text)
    assert AGE_QUESTION in texts(reply) and not reply_problems(reply)
    assert "Question 2 of" in texts(chat("52"))


@pytest.mark.parametrize("text", SPANISH + OTHER_LANGUAGES + RTL[:4])
def test_other_languages_get_the_english_only_reply(chat: Conversation, text: str) -> None:
    reply = chat(text)
    assert ENGLISH_ONLY in texts(reply)
    assert button_titles(reply) == ["Yes, please", "No, thanks"]


def test_the_english_only_offer_reaches_the_study_team(chat: Conversation) -> None:
    chat("hola, ¿puedo participar en el estudio?")
    assert "What would you like to ask the study team?" in texts(chat("/talk_to_person"))
    # The question itself may be in Spanish: the team reads it.
    reply = chat("¿Cuánto tiempo dura el estudio?")
    assert "¿Cuánto tiempo dura el estudio?" in texts(reply)
    assert "Yes, pass it on" in button_titles(reply)


def test_the_english_only_offer_can_be_declined(chat: Conversation) -> None:
    chat("Bonjour, je voudrais participer à l'étude")
    assert "No problem" in texts(chat("/deny"))


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("ayuda, no puedo respirar", "Call 911 now"),
        ("tengo dolor en el pecho", "Call 911 now"),
        ("ya no quiero vivir", "call or text 988"),
    ],
)
def test_safety_wins_over_english_only(chat: Conversation, text: str, first: str) -> None:
    reply = chat(text)
    assert first in reply[0]["text"] and ENGLISH_ONLY not in texts(reply)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "👍", "😀😀😀", "\x00\x1b[31m"])
def test_an_empty_message_gets_the_menu(chat: Conversation, text: str) -> None:
    reply = chat(text)
    assert "didn't see any words" in texts(reply)
    assert "Who can join?" in button_titles(reply)


@pytest.mark.parametrize(
    "text",
    ["is there a placebo? " * 500, "x" * 10_000, "😀" * 10_000, "<script>alert(1)</script>" * 400],
    ids=["words", "one-word", "emoji", "markup"],
)
def test_a_10000_character_message_gets_a_quick_kind_answer(live_bot: str, text: str) -> None:
    reply, seconds = timed(live_bot, new_sender(), text[:10_000])
    assert "long message" in texts(reply) and not reply_problems(reply)
    assert seconds < MAX_SECONDS_PER_TURN


def test_a_long_emergency_still_gets_911(live_bot: str) -> None:
    reply, _ = timed(live_bot, new_sender(), "my throat is swelling " + "please help " * 900)
    assert reply[0]["text"].startswith("Call 911 now")


@pytest.mark.parametrize("age", ["0", "250", "-3"])
def test_an_impossible_age_gets_please_check(live_bot: str, age: str) -> None:
    chat = at_age_question(live_bot)
    reply = chat(age)
    assert "does not look right" in texts(reply) and AGE_QUESTION in texts(reply)
    assert "not be a fit" not in texts(reply)
    assert "Question 2 of" in texts(chat("52"))


def test_twenty_messages_in_one_second_from_one_sender(live_bot: str) -> None:
    sender = new_sender()
    messages = ["is there a placebo?", "hi", "", "where is the study?", "<script>x</script>"] * 4
    sent_at: list[float] = []
    lock = threading.Lock()

    def send(text: str) -> list[dict[str, Any]]:
        with lock:
            sent_at.append(time.monotonic())
        return post_message(live_bot, sender, text)

    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(send, messages))
    assert max(sent_at) - min(sent_at) < 1.0
    for text, reply in zip(messages, replies, strict=True):
        assert not reply_problems(reply), (text, reply)
    # The conversation is still whole: the prescreen starts and moves on as usual.
    assert "Do you want to start?" in texts(post_message(live_bot, sender, "can I join?"))
    assert AGE_QUESTION in texts(post_message(live_bot, sender, "Yes, let's start"))
    assert "Question 2 of" in texts(post_message(live_bot, sender, "52"))


def test_two_senders_interleaved_keep_their_own_prescreen(live_bot: str) -> None:
    adult, teen = at_age_question(live_bot), at_age_question(live_bot)
    # Typed, so checked first ("Just to check: you are 15 years old"), then it ends.
    assert "Just to check: you are 15 years old" in texts(teen("15"))
    assert "only for adults aged 18 to 89" in texts(teen("Yes"))
    assert "Question 2 of" in texts(adult("52"))
    teen("No, that's right")
    # The teen is out of the prescreen; the adult is not.
    assert "Question" not in texts(teen("yes"))
    assert "Question 3 of" in texts(adult("yes"))


def test_two_senders_at_the_same_time_keep_their_own_prescreen(live_bot: str) -> None:
    """Both patients answer at once, turn by turn; each gets their own next question."""
    first, second = Conversation(live_bot), Conversation(live_bot)
    script = [
        ("can I join?", "can I join?"),
        ("Yes, let's start", "Yes, let's start"),
        ("52", "I'm 40"),
        ("yes", "no"),  # diagnosis: the second patient ends here
    ]
    replies: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for a, b in script:
            ra, rb = pool.submit(first, a), pool.submit(second, b)
            replies.append((ra.result(), rb.result()))
    assert "Question 2 of" in texts(replies[2][0]) and "Question 2 of" in texts(replies[2][1])
    assert "Question 3 of" in texts(replies[3][0])
    assert "may not be a fit" in texts(replies[3][1])
