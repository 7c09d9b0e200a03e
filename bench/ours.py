"""Our bot as `make run` starts it (`python -m bot run`), and timings of our training."""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet

from bench.common import BENCH_DIR, HOST, base_env, port, rasa_bin
from bench.servers import BenchError, Server
from bot import content
from bot.ops.settings import ROOT

OURS_DIR = BENCH_DIR / "ours"
TRAIN_DIR = BENCH_DIR / "train"
TRAINING_INPUTS = ("config.yml", "domain.yml", "data")
# The FAQ answer edited for the "editing one answer" figure: the running bot's answers file
# (in a copy of the trial folder in var/bench/ours, TRIAL=<that folder>) is edited and the
# webhook asked until it says it.
TRIAL_FOLDER = content.folder()
EDIT_QUESTION = "What is this study about?"
EDIT_FROM = "This study tests a skin cream"
EDIT_TO = "This study tests a cream"


def trial_copy() -> Path:
    return OURS_DIR / "trial"


def answers_copy() -> Path:
    return trial_copy() / "answers.yml"


def url() -> str:
    return f"http://{HOST}:{port(5)}"


def throwaway_secrets() -> dict[str, str]:
    """Secrets for the bench's own servers, so the bench never writes the developer's .env."""
    return {
        "STAFF_API_TOKEN": secrets.token_urlsafe(16),
        "STAFF_SESSION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "HANDOFF_KEY": Fernet.generate_key().decode(),
    }


def server() -> Server:
    """`python -m bot run` on the bench's ports, conversations and handoffs in var/bench/ours."""
    shutil.rmtree(OURS_DIR, ignore_errors=True)
    OURS_DIR.mkdir(parents=True)
    shutil.copytree(TRIAL_FOLDER, trial_copy())
    env = base_env()
    for name in ("DATABASE_URL", "NOTIFY_EMAIL_TO", "NOTIFY_WEBHOOK_URL", "TRIALS"):
        env.pop(name, None)
    env.update(
        BIND_HOST=HOST,
        RASA_PORT=str(port(5)),
        ACTION_PORT=str(port(55)),
        WEB_PORT=str(port(80)),
        VAR_DIR=str(OURS_DIR),
        TRIAL=str(trial_copy()),
        **throwaway_secrets(),
    )
    return Server(
        name="our bot (python -m bot run)",
        command=[sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        log_path=BENCH_DIR / "log" / "ours-run.log",
        health_urls=[
            f"{url()}/",
            f"http://{HOST}:{port(55)}/health",
            f"http://{HOST}:{port(80)}/healthz",
        ],
    )


def classify(command: str) -> str | None:
    if not command:
        return None
    if "run actions" in command:
        return "action server"
    if "bot.web.server" in command:
        return "web app"
    if "rasa run" in command:
        return "Rasa server"
    if "-m bot run" in command:
        return "supervisor"
    return "other"


@dataclass
class TrainingTimes:
    full: float
    model_mb: float


async def answer_edit_seconds(limit: float = 60.0) -> float:
    """Edit one answer in the running bot's answers file; seconds until the webhook says it."""
    path = answers_copy()
    path.write_text(path.read_text().replace(EDIT_FROM, EDIT_TO, 1))
    start = time.monotonic()
    async with aiohttp.ClientSession() as session:
        for attempt in range(int(limit / 0.05)):
            async with session.post(
                f"{url()}/webhooks/rest/webhook",
                json={"sender": f"bench-edit-{attempt}", "message": EDIT_QUESTION},
            ) as response:
                said = " ".join(m.get("text", "") for m in await response.json())
            if EDIT_TO in said:
                return time.monotonic() - start
            await asyncio.sleep(0.05)
    raise BenchError(f"the edited answer was not live after {limit:.0f} s")


def _train(project: Path, name: str, force: bool) -> tuple[float, str]:
    log = BENCH_DIR / "log" / f"train-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = base_env()
    env["RASA_CACHE_DIRECTORY"] = str(TRAIN_DIR / "cache")
    command = [rasa_bin(), "train", "--out", str(TRAIN_DIR / "models"),
               "--fixed-model-name", name]  # fmt: skip
    if force:
        command.append("--force")
    start = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run(
            command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise BenchError(f"rasa train ({name}) failed (exit code {done.returncode}); see {log}")
    return seconds, log.read_text(errors="replace")


def training_times() -> TrainingTimes:
    """Full training from scratch, and the size of the model it writes.

    Works on a copy of the training inputs in var/bench/train with its own cache folder, so
    models/ and the project's .rasa/cache are never touched and the run is really full.
    """
    shutil.rmtree(TRAIN_DIR, ignore_errors=True)
    project = TRAIN_DIR / "project"
    project.mkdir(parents=True)
    for name in TRAINING_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            shutil.copy2(source, project / name)
    full, _ = _train(project, "full", force=True)
    size = (TRAIN_DIR / "models" / "full.tar.gz").stat().st_size / 1e6
    return TrainingTimes(full=full, model_mb=size)
