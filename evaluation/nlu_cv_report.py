"""Summarise `rasa test nlu --cross-validation` reports (make nlu-cv) as a Markdown table.

Usage: python -m evaluation.nlu_cv_report FOLDER   (the folder rasa wrote its *_report.json to)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPORTS = {
    "intent": "intent_report.json",
    "response selection": "response_selection_report.json",
}
SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def table(report: dict) -> list[str]:
    lines = ["| label | precision | recall | f1 | support |", "|---|---:|---:|---:|---:|"]
    worst = sorted(
        ((k, v) for k, v in report.items() if k not in SUMMARY_KEYS and isinstance(v, dict)),
        key=lambda kv: kv[1].get("f1-score", 0.0),
    )
    for label, scores in worst:
        lines.append(
            f"| {label} | {scores.get('precision', 0):.2f} | {scores.get('recall', 0):.2f} "
            f"| {scores.get('f1-score', 0):.2f} | {scores.get('support', 0)} |"
        )
    return lines


def main(folder: str) -> int:
    found = False
    for name, file in REPORTS.items():
        path = Path(folder) / file
        if not path.exists():
            continue
        found = True
        report = json.loads(path.read_text())
        accuracy = report.get("accuracy")
        weighted = (report.get("weighted avg") or {}).get("f1-score")
        print(f"\n## {name} (3-fold cross-validation)\n")
        if accuracy is not None:
            print(f"accuracy {accuracy:.3f}", end="")
        if weighted is not None:
            print(f", weighted F1 {weighted:.3f}", end="")
        print("\n")
        print("\n".join(table(report)))
    if not found:
        print(f"no reports in {folder}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
