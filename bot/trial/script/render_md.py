"""The review copy as Markdown (also what `--approve` keeps in approved/script.md)."""

from __future__ import annotations

import re

from bot.trial.script import summary
from bot.trial.script.diff import Change
from bot.trial.script.document import Script
from bot.trial.script.grade import too_hard
from bot.trial.script.messages import Message

_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+[.)])", re.MULTILINE)


def escape(text: str, block: bool = False) -> str:
    """Markdown and HTML markup in a text shown as plain words; ``block``: also what would
    start a heading, quote or list at the start of a line."""
    inline = _INLINE.sub(r"\\\1", text.replace("&", "&amp;"))
    return _LINE_START.sub(r"\1\\\2", inline) if block else inline


def _quote(text: str) -> str:
    if not text:
        return ""
    return (
        "\n".join(f"> {line}" if line else ">" for line in escape(text, block=True).splitlines())
        + "\n"
    )


def _buttons(buttons: tuple[str, ...]) -> str:
    return "Buttons: " + " · ".join(f"[{escape(b)}]" for b in buttons) + "\n" if buttons else ""


def _code(key: str) -> str:
    """A key as a code span (shown as is; a backtick in it would end the span)."""
    return "`" + key.replace("`", "'") + "`"


def _grade_line(script: Script, message: Message) -> str:
    value = script.grades.get(message.key)
    shown = "not graded (under 4 words)" if value is None else f"grade {value:.1f}"
    if too_hard(value):
        shown += " (ABOVE THE LIMIT)"
    return f"{_code(message.key)} · {shown}\n"


def _change(script: Script, change: Change) -> str:
    number = script.numbers.get(change.message.key, "removed")
    out = [f"### {change.kind.capitalize()}: {number} {escape(change.message.title)}\n"]
    out.append(f"{_code(change.message.key)} in {escape(change.group)}\n")
    if change.before is not None:
        out.append("\nBefore:\n\n" + _quote(change.before.text) + _buttons(change.before.buttons))
    if change.after is not None:
        out.append("\nNow:\n\n" + _quote(change.after.text) + _buttons(change.after.buttons))
    return "".join(out) + "\n"


def markdown(script: Script) -> str:
    title = escape(str(script.trial.get("short_name") or script.trial.get("title", "")))
    out = [f"# Patient messages for review: {title}\n\n"]
    out += [f"- **{label}:** {escape(value)}\n" for label, value in summary.facts(script)]
    out.append(f"\n{escape(summary.HOW_TO_READ)}\n\n## Changes since the approved version\n\n")
    out.append(escape(summary.changes_note(script)) + "\n\n")
    out += [_change(script, c) for c in script.changes]
    out.append("## Contents\n\n")
    out += [f"{i}. {escape(g.title)} ({len(g.messages)})\n" for i, g in enumerate(script.groups, 1)]
    numbers = script.numbers
    for i, group in enumerate(script.groups, 1):
        out.append(f"\n## {i}. {escape(group.title)}\n")
        for message in group.messages:
            out.append(f"\n### {numbers[message.key]} {escape(message.title)}\n\n")
            out.append(_grade_line(script, message))
            if message.text:
                out.append("\n" + _quote(message.text))
            if message.buttons:
                out.append("\n" + _buttons(message.buttons))
    return "".join(out)
