"""Right after a 911 answer the next messages repeat it first (bot/safety/follow_up.py)."""

from __future__ import annotations

import uuid

from bot.safety import follow_up


def _sender() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def test_three_messages_after_an_emergency_get_the_line_first() -> None:
    sender = _sender()
    follow_up.answered(sender, "emergency")
    lines = [follow_up.line_before(sender, text) for text in ("benadryl?", "can i wait", "ok", "x")]
    assert all(
        line and line.startswith("If you still have") and "911" in line for line in lines[:3]
    )
    assert lines[3] is None


def test_an_overdose_names_poison_control() -> None:
    sender = _sender()
    follow_up.answered(sender, "overdose")
    line = follow_up.line_before(sender, "what should i do")
    assert line is not None and "1-800-222-1222" in line


def test_safe_or_stop_ends_it_and_a_crisis_or_another_conversation_never_starts_it() -> None:
    sender, other = _sender(), _sender()
    follow_up.answered(sender, "emergency")
    assert follow_up.line_before(sender, "/safety_resume") is None
    assert follow_up.line_before(sender, "hello") is None
    follow_up.answered(sender, "crisis")
    assert follow_up.line_before(sender, "hello") is None
    follow_up.answered(sender, "emergency")
    assert follow_up.line_before(other, "hello") is None


def _turn(sender: str, text: str) -> list[str]:
    """One message through the channels' guard (bot/rasa/channels.py), with a stand-in for Rasa's
    message handler that answers once: the texts the person gets, in order."""
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bot.rasa import channels

    async def rasa(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "the normal answer"})

    async def run() -> list[str]:
        output = CollectingOutputChannel()
        await channels.guarded(rasa)(UserMessage(text, output, sender))
        return [str(m.get("text")) for m in output.messages]

    return asyncio.run(run())


def test_after_a_911_answer_the_reminder_is_the_turns_one_safety_line() -> None:
    """Review finding 14: a 'possible' message right after a 911 answer gets the reminder and
    the reply, not the 'possible' line too; outside the window it gets the line."""
    from bot import safety

    possible = "I had chest pain last year, can I join?"
    assert safety.assess(possible).possible == "emergency"
    sender = _sender()
    follow_up.answered(sender, "emergency")
    first = _turn(sender, possible)
    assert len(first) == 2 and first[0].startswith("If you still have") and "911" in first[0]
    assert first[1] == "the normal answer"
    assert _turn(_sender(), possible) == ["the normal answer", "If you feel very unwell, call 911."]


def test_a_message_saying_there_is_no_emergency_ends_the_reminders() -> None:
    """New-user check (2026-12-02): after a false 911 answer, "what?? nobody is in danger, he
    just takes his cellcept like the doctor says" and the next three messages all began "If
    you still have the problem you told me about, call 911 now"."""
    for text in (
        "what?? nobody is in danger, he just takes his cellcept like the doctor says",
        "false alarm, sorry",
        "I'm fine",
        "that's his normal dose",
    ):
        sender = _sender()
        follow_up.answered(sender, "emergency")
        assert follow_up.line_before(sender, text) is None, text
        assert follow_up.line_before(sender, "his number is 614-555-0177") is None, text


def test_an_all_clear_that_names_a_problem_keeps_them() -> None:
    for text in ("I'm fine but my chest still hurts", "im ok i think, just dizzy", "ok"):
        sender = _sender()
        follow_up.answered(sender, "emergency")
        assert follow_up.line_before(sender, text) is not None, text
