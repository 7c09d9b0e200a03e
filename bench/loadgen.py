"""Simulated patients over the REST webhook: N concurrent conversations for a bounded time.

Each simulated patient loops over scripted conversations (a new sender id each time) until the
time is up, and every turn's latency is recorded. An error is a non-200 answer, a connection
failure or an empty reply; a timeout is a turn that took longer than `timeout` seconds; a wrong
reply is one that misses the words a checkpoint of the script expects (e.g. the prescreen result).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import yaml

from bot.ops.settings import ROOT

# One turn of a script: what the patient types, and words the reply must contain ("" = any).
Step = tuple[str, str]
Script = Callable[[random.Random], list[Step]]


@dataclass
class LoadResult:
    label: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    wrong: int = 0
    conversations: int = 0
    error_samples: list[str] = field(default_factory=list)
    # (what the patient typed, seconds), to find the slowest kind of turn
    turns: list[tuple[str, float]] = field(default_factory=list)

    def quantile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        times = sorted(self.latencies)
        return 1000 * times[min(len(times) - 1, int(q * len(times)))]

    @property
    def p50(self) -> float:
        return self.quantile_ms(0.50)

    @property
    def p95(self) -> float:
        return self.quantile_ms(0.95)

    @property
    def p99(self) -> float:
        return self.quantile_ms(0.99)

    @property
    def throughput(self) -> float:
        """Answered messages per second over the whole phase."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def note_error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


async def _send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, timeout: float
) -> tuple[int, list[dict[str, Any]]]:
    async with session.post(
        url,
        json={"sender": sender, "message": text},
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        body = await response.json(content_type=None) if response.status == 200 else []
        return response.status, body or []


def _text(reply: list[dict[str, Any]]) -> str:
    return " ".join(str(m.get("text") or "") for m in reply)


async def _patient(
    session: aiohttp.ClientSession,
    url: str,
    scripts: Sequence[tuple[float, Script]],
    rng: random.Random,
    deadline: float,
    timeout: float,
    result: LoadResult,
    delay: float,
) -> None:
    weights = [w for w, _ in scripts]
    await asyncio.sleep(delay)
    while time.monotonic() < deadline:
        script = rng.choices([s for _, s in scripts], weights)[0]
        sender = f"bench-{uuid.uuid4().hex[:16]}"
        result.conversations += 1
        for text, expect in script(rng):
            if time.monotonic() >= deadline:
                return
            start = time.perf_counter()
            try:
                status, reply = await _send(session, url, sender, text, timeout)
            except asyncio.TimeoutError:
                result.timeouts += 1
                break  # the conversation's state is unknown now: start a new one
            except aiohttp.ClientError as error:
                result.note_error(type(error).__name__)
                await asyncio.sleep(0.2)  # a refused connection would otherwise spin
                break
            elapsed = time.perf_counter() - start
            if status != 200:
                result.note_error(f"HTTP {status}")
                break
            if not reply:
                result.note_error(f"empty reply to {text!r}")
                continue
            result.latencies.append(elapsed)
            result.turns.append((text, elapsed))
            if expect and expect.lower() not in _text(reply).lower():
                result.wrong += 1
                if len(result.error_samples) < 5:
                    said = _text(reply)[:100]
                    result.error_samples.append(f"wrong reply to {text!r}: {said!r}")


async def run_load(
    base_url: str,
    scripts: Sequence[tuple[float, Script]],
    concurrency: int,
    seconds: float,
    label: str,
    timeout: float = 30.0,
    seed: int = 8,
) -> LoadResult:
    """`concurrency` patients talk to `base_url` for `seconds`; in-flight turns may finish."""
    url = f"{base_url}/webhooks/rest/webhook"
    result = LoadResult(label=label, concurrency=concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        deadline = start + seconds
        # Patients arrive spread over the first second, not all in the same millisecond.
        await asyncio.gather(
            *(
                _patient(
                    session,
                    url,
                    scripts,
                    random.Random(seed * 1000 + i),
                    deadline,
                    timeout,
                    result,
                    delay=min(1.0, seconds / 10) * i / concurrency,
                )
                for i in range(concurrency)
            )
        )
        result.seconds = time.monotonic() - start
    return result


async def warm_up(base_url: str, scripts: Sequence[tuple[float, Script]]) -> None:
    """One conversation of each script, not measured (first turns load lazily in Rasa)."""
    url = f"{base_url}/webhooks/rest/webhook"
    async with aiohttp.ClientSession() as session:
        for _, script in scripts:
            sender = f"warmup-{uuid.uuid4().hex[:12]}"
            for text, _ in script(random.Random(0)):
                await _send(session, url, sender, text, 120.0)


# ---- Our bot: FAQ questions and full prescreens -------------------------------------------------

HELDOUT = ROOT / "tests" / "heldout"


def _questions() -> list[str]:
    texts: list[str] = []
    for name in ("questions.yml", "fresh.yml"):
        data = yaml.safe_load((HELDOUT / name).read_text())
        texts += [q["text"] for q in data["questions"]]
    return texts


QUESTIONS = _questions()
# Asked in the middle of a prescreen. Plain questions, so the prescreen's course is known: some
# held-out questions are (rightly or not) read as answers there, which is not what this measures.
MID_WAY_QUESTIONS = [
    "is there a placebo?",
    "how long does the study last?",
    "where is the study done?",
    "what are the side effects of the cream?",
    "who runs this study?",
]

CONTACT: list[Step] = [
    ("Yes, share my answers", "contact you"),
    ("Pat Bench", ""),
    ("pat.bench@example.com", ""),
    ("weekday mornings", "reference code"),
]


def faq_conversation(rng: random.Random) -> list[Step]:
    """A patient asking four held-out questions."""
    return [(q, "") for q in rng.sample(QUESTIONS, 4)]


def prescreen_free_text(rng: random.Random) -> list[Step]:
    """The free-text likely-eligible prescreen of tests/test_live_prescreen.py, then contact."""
    answers = [
        "I'm 52",
        "yes, since 2019",
        "yeah I had one",
        "yes my rash is bad right now",
        "prednisone then methotrexate",
        "yep, clobetasol did nothing",
        "yes i stopped it a month ago",
        "yes they have not changed",
    ]
    return [
        ("do I qualify", "2 minutes"),
        ("Yes, let's start", "How old are you?"),
        *((a, "") for a in answers),
        ("no, I'm a man", "may be a good fit"),
        *CONTACT,
    ]


def prescreen_buttons(rng: random.Random) -> list[Step]:
    """The button-only likely-eligible prescreen, with an FAQ question mid-way, then contact."""
    buttons = ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes"]
    return [
        ("can I join the study?", "2 minutes"),
        ("Yes, let's start", "How old are you?"),
        *((b, "") for b in buttons[:3]),
        (rng.choice(MID_WAY_QUESTIONS), ""),
        *((b, "") for b in buttons[3:]),
        ("Does not apply", "may be a good fit"),
        *CONTACT,
    ]


OURS: list[tuple[float, Script]] = [
    (0.5, faq_conversation),
    (0.25, prescreen_free_text),
    (0.25, prescreen_buttons),
]


# ---- Stock `rasa init` bot: its own example phrases ---------------------------------------------


def stock_happy(rng: random.Random) -> list[Step]:
    return [
        (rng.choice(["hello", "hi", "hey there", "good morning"]), "How are you"),
        (rng.choice(["perfect", "great", "I am feeling very good", "amazing"]), "Great"),
        (rng.choice(["bye", "goodbye", "see you later"]), "Bye"),
    ]


def stock_sad(rng: random.Random) -> list[Step]:
    return [
        (rng.choice(["hello", "hi", "hey", "good evening"]), "How are you"),
        (rng.choice(["my day was horrible", "I am sad", "very bad", "unhappy"]), "help you"),
        (rng.choice(["yes", "of course", "no", "never"]), ""),
        (rng.choice(["bye", "goodbye", "good night"]), ""),
    ]


STOCK: list[tuple[float, Script]] = [(0.5, stock_happy), (0.5, stock_sad)]
