"""bench/RESULTS.md (tables, ratios to stock Rasa, targets) and bench/latency.png."""

from __future__ import annotations

import math
from statistics import median
from typing import TYPE_CHECKING

from bench.common import PLOT, RESULTS
from bench.loadgen import MID_WAY_QUESTIONS, QUESTIONS, LoadResult

if TYPE_CHECKING:
    from bench.run import Bench


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def ratio(ours: float, stock: float) -> float:
    return ours / stock if stock and not math.isnan(stock) and not math.isnan(ours) else math.nan


def x(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"


def mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def load_table(bench: Bench) -> list[str]:
    lines = [
        "| concurrent | bot | p50 ms | p95 ms | p99 ms | msg/s | turns | errors | timeouts "
        "| wrong | other load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in bench.levels:
        rows = [bench.phase("ours", level), bench.phase("stock", level)]
        for phase in rows:
            if phase is None:
                continue
            r = phase.result
            lines.append(
                f"| {level} | {phase.bot} | {ms(r.p50)} | {ms(r.p95)} | {ms(r.p99)} "
                f"| {r.throughput:.1f} | {len(r.latencies)} | {r.errors} | {r.timeouts} "
                f"| {r.wrong} | {phase.other_cores:.2f} cores |"
            )
        if all(rows):
            o, s = rows[0].result, rows[1].result  # type: ignore[union-attr]
            lines.append(
                f"| {level} | **ratio** | **{x(ratio(o.p50, s.p50))}** | "
                f"**{x(ratio(o.p95, s.p95))}** | **{x(ratio(o.p99, s.p99))}** | "
                f"**{x(ratio(o.throughput, s.throughput))}** | | | | | |"
            )
    return lines


def targets(bench: Bench) -> list[str]:
    """The issue's targets, each with the measured ratio and whether it is met."""
    levels = bench.levels
    rows = []

    def pair(level: int) -> tuple[LoadResult, LoadResult] | None:
        o, s = bench.phase("ours", level), bench.phase("stock", level)
        return (o.result, s.result) if o and s else None

    def add(what: str, value: float, limit: str, met: bool) -> None:
        rows.append(f"| {what} | {x(value)} | {limit} | {'yes' if met else '**no**'} |")

    if 1 in levels and (p := pair(1)):
        r = ratio(p[0].p50, p[1].p50)
        add("p50 at 1 conversation", r, "<= 1.0x", r <= 1.0)
    if 10 in levels and (p := pair(10)):
        r = ratio(p[0].p95, p[1].p95)
        add("p95 at 10 concurrent", r, "<= 0.7x", r <= 0.7)
    if 50 in levels and (p := pair(50)):
        r = ratio(p[0].throughput, p[1].throughput)
        add("throughput at 50 concurrent", r, ">= 1.5x", r >= 1.5)
    errors = sum(p.result.errors + p.result.timeouts for p in bench.phases if p.bot == "ours")
    rows.append(
        f"| errors and timeouts (ours, all levels) | {errors} | 0 | "
        f"{'yes' if errors == 0 else '**no**'} |"
    )
    ours_rss, stock_rss = bench.rss_kb.get("ours", {}), bench.rss_kb.get("stock", {})
    if ours_rss and stock_rss:
        r = ratio(ours_rss.get("Rasa server", 0), stock_rss.get("Rasa server", 0))
        add("peak RSS, Rasa server", r, "<= 1.2x", r <= 1.2)
        r = ratio(sum(ours_rss.values()), sum(stock_rss.values()))
        add("peak RSS, all our processes vs stock Rasa", r, "<= 1.2x", r <= 1.2)
    if not rows:
        return []
    return ["| target | ours / stock | goal | met |", "|---|---:|---|---|", *rows]


def slowest_turns(bench: Bench) -> list[str]:
    """Median latency per kind of turn with one conversation at a time (no queueing)."""
    phase = bench.phase("ours", min(bench.levels))
    if phase is None:
        return []
    groups: dict[str, list[float]] = {}
    questions = set(QUESTIONS)
    for text, seconds in phase.result.turns:
        key = "(a held-out FAQ question)" if text in questions else text
        groups.setdefault(key, []).append(seconds)
    ranked = sorted(groups.items(), key=lambda kv: median(kv[1]), reverse=True)[:6]
    lines = ["| patient says | turns | median ms | max ms |", "|---|---:|---:|---:|"]
    for key, values in ranked:
        lines.append(
            f"| {key} | {len(values)} | {1000 * median(values):,.0f} | {1000 * max(values):,.0f} |"
        )
    return lines


def quantile_ms(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))] if values else math.nan


def kinds_table(bench: Bench) -> list[str]:
    """Our bot's FAQ answers and prescreen turns apart (the stock bot has only the former)."""
    faq = set(QUESTIONS) | set(MID_WAY_QUESTIONS)
    lines = [
        "| concurrent | kind of turn | turns | p50 ms | p95 ms |",
        "|---:|---|---:|---:|---:|",
    ]
    for level in bench.levels:
        phase = bench.phase("ours", level)
        if phase is None:
            continue
        groups: dict[str, list[float]] = {"FAQ question": [], "prescreen turn": []}
        for text, seconds in phase.result.turns:
            groups["FAQ question" if text in faq else "prescreen turn"].append(seconds)
        for kind, values in groups.items():
            lines.append(
                f"| {level} | {kind} | {len(values)} | {ms(quantile_ms(values, 0.5))} "
                f"| {ms(quantile_ms(values, 0.95))} |"
            )
    return lines


def rss_table(bench: Bench) -> list[str]:
    lines = ["| bot | process | peak RSS |", "|---|---|---:|"]
    for bot, services in bench.rss_kb.items():
        for name, kb in sorted(services.items()):
            lines.append(f"| {bot} | {name} | {mb(kb)} |")
        if len(services) > 1:
            lines.append(f"| {bot} | **all** | **{mb(sum(services.values()))}** |")
    return lines


def times_table(bench: Bench) -> list[str]:
    lines = ["| what | ours | stock `rasa init` | ratio |", "|---|---:|---:|---:|"]
    o, s = bench.ready.get("ours"), bench.ready.get("stock")
    if o is not None:
        lines.append(
            f"| start to ready, model trained (`python -m bot run` / `rasa run`) | {o:.1f} s "
            f"| {'-' if s is None else f'{s:.1f} s'} | {x(ratio(o, s or math.nan))} |"
        )
    if bench.training is not None:
        t = bench.training
        st = bench.stock_training
        lines.append(
            f"| full training (`rasa train --force`, empty cache) | {t.full:.0f} s "
            f"| {'-' if st is None else f'{st:.0f} s (`rasa init`)'} "
            f"| {x(ratio(t.full, st or math.nan))} |"
        )
        lines.append(f"| model size | {t.model_mb:.0f} MB | | |")
    if bench.answer_edit is not None:
        lines.append(
            f"| editing one FAQ answer, until the running bot says it | {bench.answer_edit:.2f} s "
            "(no retraining: answers are read at reply time) | | |"
        )
    return lines


def production_lines(bench: Bench) -> list[str]:
    if not bench.production:
        return [f"Production profile (`bot.ops.production`): {bench.production_note or 'not run'}."]
    level = bench.production[0].result.concurrency
    lines = [
        f"{level} concurrent conversations through nginx, same scripts.",
        "",
        "| replicas (Rasa + actions) | p50 ms | p95 ms | msg/s | errors | timeouts | wrong |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in bench.production:
        r = phase.result
        lines.append(
            f"| {phase.bot} | {ms(r.p50)} | {ms(r.p95)} | {r.throughput:.1f} | {r.errors} "
            f"| {r.timeouts} | {r.wrong} |"
        )
    if len(bench.production) == 2:
        one, two = (p.result.throughput for p in bench.production)
        if one:
            lines.append("")
            lines.append(
                f"Scaling: 2 replicas give **{two / one:.2f}x** the throughput of 1 "
                f"(scaling efficiency {100 * two / (2 * one):.0f}%)."
            )
    if bench.production_note:
        lines += ["", bench.production_note]
    return lines


def profile_lines(bench: Bench) -> list[str]:
    p = bench.profile
    if p is None:
        return ["Not run (BENCH_SKIP)."]
    lines = [
        f"py-spy sampled each server for {p.seconds:.0f} s at {p.concurrency} concurrent "
        "conversations (raw stacks in var/bench/profile-*.txt)."
    ]
    if p.note:
        lines.append(p.note)
    for s in p.services:
        lines += [
            "",
            f"**{s.name}**: {s.samples} samples; {100 * s.ours:.1f}% of them in our code itself "
            "(bot/, actions/).",
            "",
            "| where the time is spent (innermost frame) | share |",
            "|---|---:|",
            *(f"| {name} | {100 * share:.1f}% |" for name, share in s.packages),
        ]
        if s.our_functions:
            lines += [
                "",
                "| our functions (inclusive) | share |",
                "|---|---:|",
                *(f"| {name} | {100 * share:.1f}% |" for name, share in s.our_functions),
            ]
    return lines


def write(bench: Bench) -> None:
    plot(bench)
    started = bench.started.strftime("%Y-%m-%d %H:%M UTC")
    minutes = (bench.finished - bench.started).total_seconds() / 60 if bench.finished else 0
    busy = max((p.other_cores for p in bench.phases), default=0.0)
    lines = [
        "# Benchmark: our bot beside a stock `rasa init` bot",
        "",
        f"Made by `make bench` on {started} ({minutes:.0f} min). Each load phase ran "
        f"{bench.seconds:.0f} s (BENCH_SECONDS); per-turn timeout {bench.timeout:.0f} s.",
        "",
        *(f"- {k}: {v}" for k, v in bench.machine.items()),
        f"- other work on the machine during the load phases: up to {busy:.2f} cores "
        "(the 'other load' column; 0 means the machine was ours alone)",
        "",
        "Simulated patients post to the REST webhook on 127.0.0.1, one conversation after "
        "another with a new sender id each: for our bot half are four held-out FAQ questions "
        "(tests/heldout/), half full prescreens to the result and contact details (free text or "
        "buttons, as in tests/test_live_prescreen.py); for the stock bot its own phrases "
        "(greet, mood, goodbye). Latency is per turn (one message to the full reply). Errors "
        "are non-200 answers, failed connections or empty replies; 'wrong' is a reply missing "
        "the words a checkpoint expects (e.g. the prescreen result).",
        "",
        "What the figures mean, what was changed after profiling and what is Rasa's: "
        "[docs/benchmark.md](../docs/benchmark.md).",
        "",
        "## Latency and throughput",
        "",
        *load_table(bench),
        "",
        "![latency vs concurrency](latency.png)",
        "",
        "Our bot by kind of turn (a prescreen turn calls the action server, usually twice):",
        "",
        *kinds_table(bench),
        "",
        "## Targets",
        "",
        *targets(bench),
        "",
        "## Memory (peak resident set size, sampled every 0.25 s)",
        "",
        *rss_table(bench),
        "",
        "## Start-up and training",
        "",
        *times_table(bench),
        "",
        "## Slowest turns (one conversation at a time)",
        "",
        *slowest_turns(bench),
        "",
        "## Production profile: 2 replicas vs 1",
        "",
        *production_lines(bench),
        "",
        "## Profile",
        "",
        *profile_lines(bench),
        "",
    ]
    if bench.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in bench.notes), ""]
    RESULTS.write_text("\n".join(lines))


def plot(bench: Bench) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {"ours": ("tab:blue", "our bot"), "stock": ("tab:gray", "stock rasa init")}
    for bot, (color, label) in styles.items():
        phases = [p for p in bench.phases if p.bot == bot]
        if not phases:
            continue
        levels = [p.result.concurrency for p in phases]
        for q, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
            values = [getattr(p.result, q) for p in phases]
            left.plot(levels, values, style, color=color, marker="o", label=f"{label} {q}")
        right.plot(
            levels, [p.result.throughput for p in phases], "-", color=color, marker="o", label=label
        )
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xticks(bench.levels)
        axis.set_xticklabels([str(v) for v in bench.levels])
        axis.set_xlabel("concurrent conversations")
        axis.grid(True, which="both", alpha=0.3)
    left.set_yscale("log")
    left.set_ylabel("latency per turn (ms)")
    left.set_title("Latency vs concurrency")
    left.legend(fontsize=7)
    for phase, marker in zip(bench.production, ("s", "D"), strict=False):
        right.plot(
            [phase.result.concurrency],
            [phase.result.throughput],
            marker,
            color="tab:green",
            label=f"production, {phase.bot} replica(s)",
        )
    right.set_ylim(bottom=0)
    right.set_ylabel("messages per second")
    right.set_title("Throughput")
    right.legend(fontsize=8)
    fig.suptitle(f"make bench, {bench.started:%Y-%m-%d %H:%M} UTC", fontsize=9)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    plt.close(fig)
