"""The review copy as one self-contained HTML page: every text escaped, no script (its
Content-Security-Policy forbids any), readable on a phone (18 px text, no sideways scroll)."""

from __future__ import annotations

from html import escape

from bot.trial.script import summary
from bot.trial.script.diff import Change, words
from bot.trial.script.document import Script
from bot.trial.script.grade import too_hard
from bot.trial.script.messages import Message

STYLE = """
html { font-size: 112.5%; -webkit-text-size-adjust: 100%; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
  "DejaVu Sans", sans-serif; font-size: 1rem; line-height: 1.55; color: #1b1b1b;
  background: #fff; overflow-wrap: anywhere; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem 1.1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0; }
h2 { font-size: 1.3rem; line-height: 1.3; margin: 2.5rem 0 .5rem; padding-top: .75rem;
  border-top: 3px solid #c9d1e6; }
h3 { font-size: 1.05rem; line-height: 1.35; margin: 1.75rem 0 .2rem; }
p, li, dd, dt, blockquote { font-size: 1rem; }
.trial { font-size: 1.05rem; margin: 0 0 1rem; }
dl.facts { margin: 0; }
dl.facts dt { font-weight: 700; margin-top: .4rem; }
dl.facts dd { margin: 0; }
.meta { color: #3d3d3d; margin: 0; font-size: .9rem; }
code { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: inherit; }
blockquote.text { white-space: pre-line; margin: .4rem 0; padding: .3rem 0 .3rem .9rem;
  border-left: 4px solid #5b6fb3; }
ul.buttons { list-style: none; margin: .4rem 0; padding: 0; }
ul.buttons li { display: inline-block; margin: .2rem .3rem .2rem 0; padding: .1rem .75rem;
  border: 1px solid #5b6fb3; border-radius: 1rem; }
.grade { font-weight: 600; }
.over { color: #8a1c12; background: #fde2e1; padding: 0 .3rem; }
del { color: #8a1c12; background: #fde2e1; }
ins { color: #14532d; background: #dcf2e2; }
.change { margin-bottom: 1.5rem; }
@media print { h2, h3 { break-after: avoid; } article { break-inside: avoid; } }
"""
# No script, no outside requests: the page is only its own text and this style.
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _buttons(buttons: tuple[str, ...]) -> str:
    if not buttons:
        return ""
    items = "".join(f"<li>{escape(b)}</li>" for b in buttons)
    return f'<ul class="buttons" aria-label="Buttons">{items}</ul>\n'


def _text(text: str) -> str:
    return f'<blockquote class="text">{escape(text)}</blockquote>\n' if text else ""


def _grade(script: Script, message: Message) -> str:
    value = script.grades.get(message.key)
    if value is None:
        return '<span class="grade">not graded</span> (under 4 words)'
    if too_hard(value):
        return f'<span class="grade over">Grade {value:.1f}, above the limit</span>'
    return f'<span class="grade">Grade {value:.1f}</span>'


def _message(script: Script, number: str, message: Message) -> str:
    return (
        f'<article id="m{escape(number)}">\n'
        f"<h3>{escape(number)} {escape(message.title)}</h3>\n"
        f'<p class="meta"><code>{escape(message.key)}</code> · {_grade(script, message)}</p>\n'
        f"{_text(message.text)}{_buttons(message.buttons)}</article>\n"
    )


def _words(before: str, after: str) -> str:
    tags = {"same": "{}", "out": "<del>{}</del>", "in": "<ins>{}</ins>"}
    return " ".join(tags[op].format(escape(run)) for op, run in words(before, after))


def _change(script: Script, change: Change) -> str:
    message = change.message
    number = script.numbers.get(message.key)
    where = f'<a href="#m{escape(number)}">{escape(number)}</a>' if number else "removed"
    out = [
        '<article class="change">\n',
        f"<h3>{escape(change.kind.capitalize())}: {escape(message.title)}</h3>\n",
        f'<p class="meta">{where} · <code>{escape(message.key)}</code> in '
        f"{escape(change.group)}</p>\n",
    ]
    if change.before is not None and change.after is not None:
        out.append("<p>Words taken out are struck through; words put in are underlined.</p>\n")
        out.append(
            f'<blockquote class="text">{_words(change.before.text, change.after.text)}'
            "</blockquote>\n"
        )
        if change.before.buttons != change.after.buttons:
            out.append("<p>Buttons before:</p>\n" + _buttons(change.before.buttons))
            out.append("<p>Buttons now:</p>\n" + _buttons(change.after.buttons))
    else:
        shown = change.after or change.before
        assert shown is not None
        out.append(_text(shown.text) + _buttons(shown.buttons))
    return "".join(out) + "</article>\n"


def html(script: Script) -> str:
    name = str(script.trial.get("short_name") or script.trial.get("title", ""))
    facts = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>\n"
        for label, value in summary.facts(script)
    )
    contents = "".join(
        f'<li><a href="#g{i}">{escape(g.title)}</a> ({len(g.messages)})</li>\n'
        for i, g in enumerate(script.groups, 1)
    )
    numbers = script.numbers
    groups = []
    for i, group in enumerate(script.groups, 1):
        body = "".join(_message(script, numbers[m.key], m) for m in group.messages)
        groups.append(
            f'<section aria-labelledby="g{i}">\n<h2 id="g{i}">{i}. {escape(group.title)}</h2>\n'
            f"{body}</section>\n"
        )
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Patient messages for review: {escape(name)} (version "
        f"{escape(script.version)})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f'<header>\n<h1>Patient messages for review</h1>\n<p class="trial">{escape(name)}</p>\n'
        f'<dl class="facts">\n{facts}</dl>\n<p>{escape(summary.HOW_TO_READ)}</p>\n</header>\n'
        '<section aria-labelledby="changes">\n'
        '<h2 id="changes">Changes since the approved version</h2>\n'
        f"<p>{escape(summary.changes_note(script))}</p>\n"
        + "".join(_change(script, c) for c in script.changes)
        + '</section>\n<nav aria-labelledby="contents">\n<h2 id="contents">Contents</h2>\n'
        f"<ol>\n{contents}</ol>\n</nav>\n{''.join(groups)}</main>\n</body>\n</html>\n"
    )
