"""Issue 15 on the live bot (REST): every misreading the issue lists, now read right.

Each test is one of the conversations that turned a person away or misrecorded them, typed
over the real REST webhook to Rasa and the action server, checked against the real handoff
store and, for the caregiver, the staff inbox page.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.ops.settings import Settings
from bot.staff import users as staff
from bot.store.handoff import HandoffStore
from tests.conftest import Conversation, button_titles, texts

pytestmark = pytest.mark.live

NOT_A_FIT = "may not be a fit"


@pytest.fixture
def store(live_bot: str, live_settings: Settings) -> Iterator[HandoffStore]:
    made = HandoffStore(f"sqlite:///{live_settings.var_dir / 'handoffs.db'}")
    yield made
    made.engine.dispose()


def start(chat: Conversation) -> None:
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))


def to_question(chat: Conversation, words: str, answers: list[str]) -> str:
    start(chat)
    reply = ""
    for answer in answers:
        reply = texts(chat(answer))
    assert words in reply, reply
    return reply


UP_TO_STEROIDS = ["58", "Yes", "Yes", "Yes"]
UP_TO_CREAM = [*UP_TO_STEROIDS, "Yes", "Yes"]
UP_TO_PREGNANT = [*UP_TO_CREAM, "Yes", "Yes", "Yes"]


@pytest.mark.parametrize(
    "reply", ["not any more", "no longer", "I used to take them, not now", "used to"]
)
def test_past_use_to_ever_taken_steroid_pills_is_a_yes(chat: Conversation, reply: str) -> None:
    to_question(chat, "steroid pills", UP_TO_STEROIDS)
    after = texts(chat(reply))
    assert NOT_A_FIT not in after and "calms the immune system" in after


def test_not_anymore_is_never_a_rejection(chat: Conversation) -> None:
    """The issue's exact "not anymore" is read as yes by bot.prescreen.reading (tests/reading), but
    main's safety layer answers these two words alone with the 988 line first (its
    classifier's call, reported to the lead). Either way it is never a "no": the answers are
    kept and the same question comes back."""
    to_question(chat, "steroid pills", UP_TO_STEROIDS)
    reply = chat("not anymore")
    assert NOT_A_FIT not in texts(reply)
    if "I'm safe, go on" in button_titles(reply):
        assert "steroid pills" in texts(chat("/safety_resume"))
        reply = chat("used to")
    assert "calms the immune system" in texts(reply)


def test_i_dont_want_to_do_this_anymore_is_not_a_no_and_keeps_the_answers(
    chat: Conversation, store: HandoffStore
) -> None:
    to_question(chat, "doctor told you", ["52"])
    reply = chat("actually I don't want to do this anymore")
    assert NOT_A_FIT not in texts(reply) and "988" not in texts(reply)
    # A withdrawal: asked whether to stop, and the answers are kept until the person says yes.
    assert "Do you want to stop for now?" in texts(reply) and "Yes, stop" in button_titles(reply)
    assert "doctor told you" in texts(chat("No, keep going"))
    assert "Do you want to stop for now?" in texts(
        chat("I changed my mind, I don't want to continue")
    )
    assert "did not keep your answers" in texts(chat("Yes, stop"))
    assert store.count(chat.sender) == 0


@pytest.mark.parametrize("fix", ["actually I'm 52, not 25", "wait I'm actually 52 not 25"])
def test_an_age_corrected_at_the_next_question_is_changed_in_the_summary(
    chat: Conversation, fix: str
) -> None:
    to_question(chat, "doctor told you", ["25"])
    reply = texts(chat(fix))
    assert "changed that answer" in reply and "doctor told you" in reply
    assert NOT_A_FIT not in reply
    for answer in ["Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes"]:
        chat(answer)
    summary = texts(chat("No"))
    assert "Age: 52" in summary and "Age: 25" not in summary


@pytest.mark.parametrize(
    "reply",
    ["no longer applies to me", "im past all that", "went thru the change 15 years ago", "No"],
)
def test_people_who_cannot_become_pregnant_are_never_turned_away(
    chat: Conversation, reply: str
) -> None:
    to_question(chat, "Could you become pregnant?", UP_TO_PREGNANT)
    summary = texts(chat(reply))
    assert "may be a good fit" in summary and NOT_A_FIT not in summary
    assert "birth control" not in summary.lower().split("here is what you told me")[0]


def test_lupus_not_dermatomyositis_is_a_no_and_is_checked_first(chat: Conversation) -> None:
    to_question(chat, "doctor told you", ["52"])
    check = chat("no, i have lupus, not dermatomyositis")
    assert "Just to check: a doctor has not told you" in texts(check)
    assert button_titles(check) == ["Yes", "No, a doctor has", "Not sure"]
    assert NOT_A_FIT in texts(chat("Yes"))


def test_i_think_so_she_had_one_years_ago_is_a_yes(chat: Conversation) -> None:
    to_question(chat, "skin biopsy", ["52", "Yes"])
    reply = texts(chat("I think so? she had one years ago"))
    assert "skin symptoms" in reply and NOT_A_FIT not in reply


@pytest.mark.parametrize(
    "reply", ["clobetasol didnt do much", "i just told you the clobetasol didnt work"]
)
def test_a_cream_that_did_not_work_is_a_yes_and_not_asked_again(
    chat: Conversation, reply: str
) -> None:
    to_question(chat, "steroid cream", UP_TO_CREAM)
    after = texts(chat(reply))
    assert "more than 2 weeks ago" in after and "steroid cream or a similar" not in after


def test_a_typed_no_that_would_end_it_is_checked_and_can_be_undone(chat: Conversation) -> None:
    to_question(chat, "steroid pills", UP_TO_STEROIDS)
    check = chat("no never")
    assert "Just to check: you have never taken steroid pills, shots or drips." in texts(check)
    assert button_titles(check) == ["Yes", "No, I have", "Not sure"]
    assert "calms the immune system" in texts(chat("No, I have"))


def test_a_button_no_ends_without_a_check_and_offers_a_change(chat: Conversation) -> None:
    to_question(chat, "steroid pills", UP_TO_STEROIDS)
    reply = chat("No")
    assert NOT_A_FIT in texts(reply) and "Just to check" not in texts(reply)
    assert "Change an answer" in button_titles(reply)
    picked = chat("Change an answer")
    steroids = next(
        b for m in picked for b in m.get("buttons", []) if b["title"].startswith("Took steroid")
    )
    # The button sends a payload, so the safety layer never reads "took ... pills" as typed.
    assert steroids["payload"].startswith("/change_answer")
    assert "steroid pills" in texts(chat(steroids["payload"]))
    assert "calms the immune system" in texts(chat("Yes"))


def _inbox_page(settings: Settings, handoff_id: int) -> str:
    engine = sa.create_engine(f"sqlite:///{settings.var_dir / 'handoffs.db'}", future=True)
    try:
        staff.add_user(engine, "reader15", "correct horse battery 15")
    except Exception:  # noqa: BLE001 - the user may exist from an earlier run of this test
        pass
    engine.dispose()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(f"{settings.web_url}/staff/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token
    form = urllib.parse.urlencode(
        {
            "csrf_token": token.group(1),
            "username": "reader15",
            "password": "correct horse battery 15",
        }
    ).encode()
    opener.open(f"{settings.web_url}/staff/login", data=form, timeout=10).read()
    page = opener.open(f"{settings.web_url}/staff/handoffs/{handoff_id}", timeout=10)
    return str(page.read().decode())


def test_a_daughter_answers_for_her_mother_and_the_handoff_shows_both(
    chat: Conversation, store: HandoffStore, live_settings: Settings
) -> None:
    assert "2 minutes" in texts(chat("can I join the study?"))
    reply = texts(chat("ok can I fill out the questions for her?"))
    assert "exclu" not in reply.lower() and "How old is the person you are helping?" in reply
    assert "Has a doctor told them" in texts(chat("she is 74"))
    for answer in ["Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes"]:
        chat(answer)
    share = chat("no, she went through menopause long ago")
    assert "knows about this and agrees" in texts(share)
    assert "Yes, they know and agree" in button_titles(share)
    assert "What is the name of the person" in texts(chat("Yes, they know and agree"))
    assert "Who should the study team call" in texts(
        chat("her name is Rosa Bianchi, I'm her daughter Lucia")
    )
    chat("Call me")
    chat("lucia@example.com")
    done = texts(chat("evenings"))
    assert "Thank you, Lucia" in done
    record = store.get(chat.sender)
    assert record is not None and record["reference"] in done
    assert record["contact"]["name"] == "Rosa Bianchi"
    assert record["contact"]["answered_by"]["name"] == "Lucia"
    assert record["contact"]["answered_by"]["relation"] == "daughter"
    assert record["contact"]["answered_by"]["person_knows_and_agrees_at"]
    assert record["contact"]["call"] == "caregiver"
    assert record["answers"]["answers"]["age"] == 74
    assert record["answers"]["answered_by"] == "daughter"
    page = _inbox_page(live_settings, record["id"])
    assert "Rosa Bianchi" in page and 'class="answered-by">daughter (Lucia)' in page
    assert "answered by: " not in page.lower()  # the label once, not "Answered by answered by"
    assert "Lucia (daughter), the person who answered" in page  # who to call


# --- the tester's report (2026-12-01) -------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "is there parking? he can't walk far",
        "I can't drive anymore, is there any help with getting there?",
    ],
)
def test_a_question_at_the_share_step_keeps_the_answers(chat: Conversation, question: str) -> None:
    """Tester T1: a question at "Can I share your answers?" is never "No, thanks"."""
    to_question(chat, "may be a good fit", [*UP_TO_PREGNANT, "No"])
    reply = texts(chat(question))
    assert "did not share or keep" not in reply and "Can I share your answers" in reply
    assert "What name should" in texts(chat("Yes, share my answers"))


def test_rather_not_say_is_not_sure_not_a_no(chat: Conversation) -> None:
    """Tester T3: "i'd rather not say" to the steroid pills question goes on, as not sure."""
    to_question(chat, "steroid pills", UP_TO_STEROIDS)
    reply = texts(chat("i'd rather not say"))
    assert NOT_A_FIT not in reply and "Just to check" not in reply
    assert "calms the immune system" in reply


def test_my_own_biopsy_with_they_stays_about_you(chat: Conversation) -> None:
    """Tester W3: "they did a biopsy of my arm" does not switch to answering for someone."""
    to_question(chat, "skin biopsy", ["70", "Yes"])
    reply = texts(chat("they did a biopsy of my arm i think yes"))
    assert "answer for them" not in reply and "skin symptoms" in reply


def test_im_the_patient_switches_back_and_is_not_a_no(chat: Conversation) -> None:
    """Tester T2: after "for someone else", "no its for me, im the patient" at the skin
    question is not a no; the questions say "you" again."""
    assert "2 minutes" in texts(chat("can I join the study?"))
    chat("Yes, for someone else")
    for answer in ["70", "Yes", "Yes"]:
        chat(answer)
    reply = texts(chat("no its for me, im the patient"))
    assert NOT_A_FIT not in reply and "Just to check" not in reply
    assert "ask about you" in reply and "Do you have" in reply


def test_an_age_correction_at_the_share_step_changes_the_age(chat: Conversation) -> None:
    """Tester M7: "actually I turned 62 last week" at the share step is a correction."""
    to_question(chat, "may be a good fit", [*UP_TO_PREGNANT, "No"])
    reply = texts(chat("actually I turned 62 last week"))
    assert "changed that answer" in reply and "Age: 62" in reply
    assert "Can I share your answers" in reply
