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
