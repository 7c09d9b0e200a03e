"""The yardstick: a stock `rasa init` bot, trained and served from the same venv."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench.common import BENCH_DIR, HOST, base_env, port, rasa_bin
from bench.servers import BenchError, Server

STOCK_DIR = BENCH_DIR / "stock"


def init_and_train(directory: Path = STOCK_DIR) -> float:
    """`rasa init --no-prompt` (it trains the initial model too); returns the seconds it took."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    log = BENCH_DIR / "log" / "stock-init.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run(
            [rasa_bin(), "init", "--no-prompt", "--init-dir", str(directory)],
            cwd=directory,
            env=base_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    seconds = time.monotonic() - start
    if done.returncode != 0 or not list((directory / "models").glob("*.tar.gz")):
        raise BenchError(f"rasa init failed (exit code {done.returncode}); see {log}")
    return seconds


def trained(directory: Path = STOCK_DIR) -> bool:
    """A stock model from an earlier run is there (BENCH_SKIP=stock-training reuses it)."""
    return bool(list((directory / "models").glob("*.tar.gz")))


def server(directory: Path = STOCK_DIR) -> Server:
    """`rasa run` on the stock model with the REST channel (its own credentials.yml)."""
    rasa_port = port(105)
    return Server(
        name="stock Rasa server",
        command=[rasa_bin(), "run", "--model", "models", "--interface", HOST,
                 "--port", str(rasa_port), "--credentials", "credentials.yml",
                 "--endpoints", "endpoints.yml"],
        cwd=directory,
        env=base_env(),
        log_path=BENCH_DIR / "log" / "stock-rasa.log",
        health_urls=[f"http://{HOST}:{rasa_port}/"],
    )  # fmt: skip


def url() -> str:
    return f"http://{HOST}:{port(105)}"


def classify(command: str) -> str | None:
    return "Rasa server" if command else None
