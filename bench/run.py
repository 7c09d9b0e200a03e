"""`make bench`: our bot and a stock `rasa init` bot, trained, started and loaded in one run.

Settings (environment): BENCH_SECONDS per load phase (default 40), BENCH_LEVELS (default
"1,10,50" concurrent conversations), BENCH_PORT_BASE (default 34000; ports base+5..base+400),
BENCH_TIMEOUT per turn (default 30 s), BENCH_SKIP (comma list of: training, stock,
stock-training, production, profile) to shorten a development run. Writes bench/RESULTS.md and
bench/latency.png; logs and work files go to var/bench/.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bench import loadgen, ours, procs, profile, report, stock
from bench.common import BENCH_DIR, HOST, free_ports
from bench.loadgen import LoadResult
from bench.servers import BenchError, Server
from bot.ops.settings import ROOT, Settings


@dataclass
class Phase:
    bot: str  # "ours", "stock", or "production, N replicas"
    result: LoadResult
    other_cores: float  # average cores busy with other people's work during the phase


@dataclass
class Bench:
    started: datetime
    seconds: float
    levels: list[int]
    timeout: float
    machine: dict[str, str] = field(default_factory=dict)
    phases: list[Phase] = field(default_factory=list)
    ready: dict[str, float] = field(default_factory=dict)
    training: ours.TrainingTimes | None = None
    stock_training: float | None = None
    answer_edit: float | None = None  # seconds until an edited answer is live, no retraining
    rss_kb: dict[str, dict[str, int]] = field(default_factory=dict)
    production: list[Phase] = field(default_factory=list)
    production_note: str = ""
    profile: profile.Profile | None = None
    notes: list[str] = field(default_factory=list)
    finished: datetime | None = None

    def phase(self, bot: str, level: int) -> Phase | None:
        return next(
            (p for p in self.phases if p.bot == bot and p.result.concurrency == level), None
        )


def machine_info() -> dict[str, str]:
    model = ""
    for line in procs._read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in procs._read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cpu": f"{os.cpu_count()} cores, {model}",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "load average at start": " ".join(procs._read("/proc/loadavg").split()[:3]),
    }


def env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


async def measure(
    bot: str,
    url: str,
    scripts: list[tuple[float, loadgen.Script]],
    level: int,
    bench: Bench,
    samplers: list[procs.Sampler],
) -> Phase:
    clock = procs.PhaseClock(samplers)
    result = await loadgen.run_load(
        url, scripts, level, bench.seconds, label=f"{bot} x{level}", timeout=bench.timeout
    )
    phase = Phase(bot, result, clock.other_cores())
    print(
        f"    {bot:>5} x{level:<3} p50 {result.p50:7.0f} ms  p95 {result.p95:7.0f} ms  "
        f"p99 {result.p99:7.0f} ms  {result.throughput:6.1f} msg/s  errors {result.errors}  "
        f"timeouts {result.timeouts}  wrong {result.wrong}  (other load {phase.other_cores:.2f} "
        "cores)",
        flush=True,
    )
    for sample in result.error_samples:
        print(f"      {sample}", flush=True)
    return phase


def start(server: Server, sampler: procs.Sampler, timeout: float) -> float:
    server.start()
    sampler.watch(server.pid)
    return server.wait_ready(timeout)


def production_row(bench: Bench, level: int) -> None:
    """Throughput with 2 replicas vs 1 behind nginx (bot.ops.production), same scripts.

    Conversations and handoffs go to a throwaway PostgreSQL schema and Redis key prefix.
    """
    try:
        from bot.ops.production import ProductionStack
        from tests.stores import scratch_stores
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        bench.production_note = f"not available ({type(error).__name__}: {error})"
        return
    for name in ("DATABASE_URL", "TRACKER_STORE_URL", "NOTIFY_EMAIL_TO", "NOTIFY_WEBHOOK_URL"):
        os.environ.pop(name, None)  # the scratch stores below, and no notifications
    os.environ.update(ours.throwaway_secrets())
    for replicas in (1, 2):
        settings = Settings.from_env(
            host=HOST,
            rasa_port=free_ports(305, replicas),
            action_port=free_ports(355, replicas),
            web_port=free_ports(380),
            var_dir=BENCH_DIR / f"production-{replicas}",
            model_dir=ROOT / "models",
        )
        shutil.rmtree(settings.var_dir, ignore_errors=True)
        print(f"==> Production profile, {replicas} replica(s) of Rasa and actions", flush=True)
        try:
            with scratch_stores() as config:
                stack = ProductionStack(
                    settings,
                    rasa_replicas=replicas,
                    action_replicas=replicas,
                    lb_port=free_ports(300, 2),  # and the actions' balancer on + 1
                    config=config,
                )
                try:
                    stack.start()
                    stack.wait_ready()
                    asyncio.run(loadgen.warm_up(stack.url, loadgen.OURS))
                    clock = procs.PhaseClock([])
                    result = asyncio.run(
                        loadgen.run_load(
                            stack.url,
                            loadgen.OURS,
                            level,
                            bench.seconds,
                            label=f"production x{replicas}",
                            timeout=bench.timeout,
                        )
                    )
                finally:
                    stack.stop()
        except Exception as error:  # noqa: BLE001 - report it, keep the rest of the bench
            bench.production_note = f"failed with {replicas} replica(s): {error}"
            print(f"    {bench.production_note}", flush=True)
            return
        bench.production.append(Phase(str(replicas), result, clock.other_cores()))
        print(
            f"    x{level}: {result.throughput:.1f} msg/s, p50 {result.p50:.0f} ms, "
            f"p95 {result.p95:.0f} ms, errors {result.errors}, timeouts {result.timeouts}, "
            f"wrong {result.wrong}",
            flush=True,
        )
        for sample in result.error_samples:
            print(f"      {sample}", flush=True)


def main() -> int:
    skip = set(env_list("BENCH_SKIP", ""))
    bench = Bench(
        started=datetime.now(timezone.utc),
        seconds=float(os.environ.get("BENCH_SECONDS", "40")),
        levels=[int(v) for v in env_list("BENCH_LEVELS", "1,10,50")],
        timeout=float(os.environ.get("BENCH_TIMEOUT", "30")),
        machine=machine_info(),
    )
    startup_timeout = float(os.environ.get("STARTUP_TIMEOUT", "240"))
    (BENCH_DIR / "log").mkdir(parents=True, exist_ok=True)
    if not list((ROOT / "models").glob("*.tar.gz")):
        print("error: no trained model in models/: run `make train` first.", file=sys.stderr)
        return 1
    total = time.monotonic()
    if "training" not in skip:
        print("==> Training our bot from scratch", flush=True)
        bench.training = ours.training_times()
        print(
            f"    {bench.training.full:.0f} s, model {bench.training.model_mb:.0f} MB", flush=True
        )
    with_stock = "stock" not in skip
    # stock-training: reuse the stock bot a previous run made in var/bench/stock (short
    # development runs); it is made if there is none.
    if with_stock and ("stock-training" not in skip or not stock.trained()):
        print("==> Stock bot: rasa init --no-prompt (trains the initial model)", flush=True)
        bench.stock_training = stock.init_and_train()
        print(f"    {bench.stock_training:.0f} s", flush=True)

    ours_sampler = procs.Sampler(ours.classify)
    stock_sampler = procs.Sampler(stock.classify)
    samplers = [ours_sampler, stock_sampler]
    ours_server = ours.server()
    stock_server = stock.server()
    for sampler in samplers:
        sampler.start()
    try:
        print("==> Starting our bot (python -m bot run)", flush=True)
        bench.ready["ours"] = start(ours_server, ours_sampler, startup_timeout)
        print(f"    ready in {bench.ready['ours']:.1f} s", flush=True)
        if with_stock:
            print("==> Starting the stock bot (rasa run)", flush=True)
            bench.ready["stock"] = start(stock_server, stock_sampler, startup_timeout)
            print(f"    ready in {bench.ready['stock']:.1f} s", flush=True)
        asyncio.run(loadgen.warm_up(ours.url(), loadgen.OURS))
        print("==> Editing one FAQ answer in the running bot", flush=True)
        bench.answer_edit = asyncio.run(ours.answer_edit_seconds())
        print(f"    live after {bench.answer_edit:.2f} s, no retraining", flush=True)
        if with_stock:
            asyncio.run(loadgen.warm_up(stock.url(), loadgen.STOCK))
        for level in bench.levels:
            print(f"==> {level} concurrent conversation(s), {bench.seconds:.0f} s each", flush=True)
            bench.phases.append(
                asyncio.run(measure("ours", ours.url(), loadgen.OURS, level, bench, samplers))
            )
            if with_stock:
                bench.phases.append(
                    asyncio.run(
                        measure("stock", stock.url(), loadgen.STOCK, level, bench, samplers)
                    )
                )
        if "profile" not in skip:
            print("==> Profiling our Rasa and action servers (py-spy)", flush=True)
            bench.profile = profile.record(ours_server, ours.url(), min(bench.levels[-1], 10))
            if bench.profile.note:
                print(f"    {bench.profile.note}", flush=True)
    finally:
        for sampler in samplers:
            sampler.stop()
        ours_server.stop()
        stock_server.stop()
    bench.rss_kb["ours"] = dict(ours_sampler.peak_kb)
    bench.rss_kb["stock"] = dict(stock_sampler.peak_kb)
    if "production" not in skip:
        production_row(bench, bench.levels[-1])
    else:
        bench.production_note = "skipped (BENCH_SKIP)"
    bench.machine["load average at end"] = " ".join(procs._read("/proc/loadavg").split()[:3])
    bench.finished = datetime.now(timezone.utc)
    report.write(bench)
    print(f"==> Wrote bench/RESULTS.md and bench/latency.png in {time.monotonic() - total:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
