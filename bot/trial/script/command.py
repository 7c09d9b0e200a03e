"""`python -m bot trial script <trial folder> [--out DIR] [--approve]`: write the review copy
(HTML and Markdown, dated and versioned in their names) and, with --approve, keep it as the
approved copy that later versions are compared with."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.ops.settings import ROOT

if TYPE_CHECKING:
    from bot.trial.script.document import Script

OUT = ROOT / "var" / "trial-script"


def add_parser(commands: Any) -> None:
    """Add `script` to the `trial` subcommands (argparse's subparsers object)."""
    parser = commands.add_parser(
        "script",
        help="write the ethics board's review copy of every patient message (HTML, Markdown)",
    )
    parser.add_argument("folder", type=Path, help="the trial folder, e.g. trials/<trial-id>")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    parser.add_argument(
        "--approve",
        action="store_true",
        help="record this version as approved (kept in <folder>/approved/)",
    )
    parser.set_defaults(run=run)


def write(folder: Path, out: Path, approve: bool = False) -> tuple[Script, Path, Path]:
    """Write both documents; returns the review copy and the (html, markdown) paths."""
    from bot.trial.script import approved, document, render_html, render_md

    script = document.build(folder)
    out.mkdir(parents=True, exist_ok=True)
    trial_id = script.trial.get("nct_id") or script.folder.name
    stem = f"{trial_id}-script-{script.made_on}-{script.version}"
    markdown = render_md.markdown(script)
    md_path, html_path = out / f"{stem}.md", out / f"{stem}.html"
    md_path.write_text(markdown, encoding="utf-8")
    html_path.write_text(render_html.html(script), encoding="utf-8")
    if approve:
        approved.record(script.folder, script.as_approved(), markdown)
    return script, html_path, md_path


def run(args: argparse.Namespace) -> int:
    from bot.trial.script import approved

    try:
        script, html_path, md_path = write(args.folder, args.out, args.approve)
    except (OSError, ValueError) as error:
        print(f"trial script: {error}")
        return 1
    print(f"Wrote {html_path}\n  and {md_path}")
    print(f"Version {script.version}: {script.count} messages, {len(script.changes)} changes")
    if script.too_hard:
        print(f"Above the grade limit: {', '.join(script.too_hard)}")
    if args.approve:
        print(f"Recorded as approved in {approved.folder(script.folder)}/")
    return 0
