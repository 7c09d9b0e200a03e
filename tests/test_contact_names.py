"""A reply to "What is your name?" gives the name in it, or none: the staff must get a name
they can call someone by (the tester's "Thank you, afternoons." and "Thank you, yeah.")."""

from __future__ import annotations

import pytest

from bot.prescreen import contact
from bot.prescreen.contact import own_name


@pytest.mark.parametrize(
    ("reply", "name"),
    [
        ("Jane Faultcase", "Jane Faultcase"),
        ("jane faultcase", "Jane Faultcase"),
        ("Dana Kim, same as before", "Dana Kim"),
        ("my name is Margaret Olsen, i AM the patient. there is no one else", "Margaret Olsen"),
        ("Frank. I already told you", "Frank"),
        ("I'm Tom", "Tom"),
        ("Dr. Smith", "Dr. Smith"),
        ("J. R. Smith", "J. R. Smith"),
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
        ("Lucía Pérez", "Lucía Pérez"),
    ],
)
def test_the_name_in_the_reply(reply: str, name: str) -> None:
    assert own_name(reply) == name


@pytest.mark.parametrize(
    "reply",
    ["yes", "yeah", "ok", "afternoons", "after 10 am please", "weekday mornings", "j",
     "Zelda <script>alert(1)</script> Quux", "why do you need it?", "", "12345",
     "prefer not to say", "dont want to give it", "im busy", "I am driving", "Im at work"],
)  # fmt: skip
def test_no_name_in_the_reply(reply: str) -> None:
    assert own_name(reply) is None


# New-user check (2026-12-02): numbers said aloud by voice typing got "That does not look like
# an email or a US phone number".
@pytest.mark.parametrize(
    ("reply", "phone"),
    [
        ("four four zero five five five zero one nine nine", "+14405550199"),
        ("my number is two one six, five five five, zero one two three", "+12165550123"),
        ("Two one six five five five oh one two three please", "+12165550123"),
    ],
)
def test_a_phone_number_said_aloud(reply: str, phone: str) -> None:
    assert contact.parse_contact(reply).phone == phone


@pytest.mark.parametrize("reply", ["one or two things", "I have one, two, three kids"])
def test_a_few_number_words_are_no_phone(reply: str) -> None:
    assert contact.parse_contact(reply).phone is None
