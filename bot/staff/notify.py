"""Sending one staff notification about a new handoff, by email (SMTP) or webhook.

A notification says only that there is someone new: the outcome label, the handoff reference
and a link to the staff inbox. It never carries health details (answers) or contact details;
staff read those in the inbox after signing in.

Settings come from the environment (NotifySettings.from_env); tests pass their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiohttp
import aiosmtplib

from bot import content


def study(trial: str = "") -> str:
    """What a staff message calls the study: ``study_name`` of the trial's trial.yml (the
    trial of that nct_id when a deployment serves several; "" = the default trial)."""
    with content.serving(content.from_nct(trial) if trial else None):
        return str(content.trial()["study_name"])


OUTCOME_LABELS = {
    "likely_eligible": "likely eligible",
    "needs_review": "needs staff review",
    "question": "question for the team",
}
CHANNELS = ("email", "webhook")
_EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class NotifySettings:
    """Where notifications go. Empty email_to / webhook_url means the channel is not set up."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    email_from: str = "trial-assistant@localhost"
    email_to: tuple[str, ...] = ()
    webhook_url: str = ""
    inbox_url: str = "http://127.0.0.1:8080"
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifySettings:
        """From the environment bot.ops.settings.Settings.from_env read (settings.notices)."""

        def get(name: str, default: str = "") -> str:
            value = env.get(name, "").strip()
            return value or default

        return cls(
            smtp_host=get("SMTP_HOST", cls.smtp_host),
            smtp_port=_number(int, get("SMTP_PORT", str(cls.smtp_port)), "SMTP_PORT"),
            smtp_username=get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env.get("SMTP_STARTTLS"), cls.smtp_starttls),
            email_from=get("NOTIFY_EMAIL_FROM", cls.email_from),
            email_to=_split(get("NOTIFY_EMAIL_TO")),
            webhook_url=get("NOTIFY_WEBHOOK_URL"),
            inbox_url=get("INBOX_URL", cls.inbox_url).rstrip("/"),
            timeout=_number(float, get("NOTIFY_TIMEOUT", str(cls.timeout)), "NOTIFY_TIMEOUT"),
        )


def _number(kind: Callable[[str], Any], value: str, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a number") from None


@dataclass(frozen=True)
class Notice:
    """What a notification may say: no names, no contact details, no answers."""

    handoff_id: int
    reference: str
    outcome: str
    # The handoff's trial (nct_id; every record has one since migration 0008); "": the
    # default trial's (a Digest, which is the whole deployment's, or a caller's own notice).
    trial: str = ""

    @property
    def label(self) -> str:
        # An unknown outcome is shown as needing review rather than echoed verbatim.
        return OUTCOME_LABELS.get(self.outcome, OUTCOME_LABELS["needs_review"])

    def url(self, settings: NotifySettings) -> str:
        return f"{settings.inbox_url.rstrip('/')}/staff/handoffs/{self.handoff_id}"

    @property
    def subject(self) -> str:
        return f"New candidate ({self.label}), ref {self.reference}"

    def text(self, settings: NotifySettings) -> str:
        return (
            f"A new person for the {study(self.trial)} ({self.label}), reference {self.reference}. "
            f"Open the staff inbox: {self.url(settings)}"
        )


@dataclass(frozen=True)
class Digest(Notice):
    """The daily digest of records waiting past the follow-up target: references, outcome
    labels and how long each has waited, and a link; no names, contact details or answers."""

    day: str = ""
    target: str = ""
    # (reference, outcome, waited e.g. "2 working days", handoff id)
    items: tuple[tuple[str, str, str, int], ...] = ()

    def url(self, settings: NotifySettings) -> str:
        return f"{settings.inbox_url.rstrip('/')}/staff/handoffs?status=new"

    @property
    def subject(self) -> str:
        count = len(self.items)
        people = "record" if count == 1 else "records"
        return f"{count} {people} waiting past the follow-up target ({self.day})"

    def text(self, settings: NotifySettings) -> str:
        lines = [
            # One digest for the whole deployment: with several trials, no one study's name.
            f"{len(self.items)} new {study() if len(content.served()) == 1 else 'study'} "
            f"record(s) have waited longer than {self.target} "
            "without a first contact:",
            "",
        ]
        base = settings.inbox_url.rstrip("/")
        for reference, outcome, waited, _id in self.items:
            label = OUTCOME_LABELS.get(outcome, OUTCOME_LABELS["needs_review"])
            lines.append(f"- {reference} ({label}), waiting {waited}: {base}/staff/r/{reference}")
        lines += ["", f"Open the work queue: {self.url(settings)}"]
        return "\n".join(lines)


class DeliveryError(Exception):
    """A notification was not accepted; the message is short and safe to store and log."""


def describe(exc: BaseException, settings: NotifySettings | None = None) -> str:
    """A short description of a failure for last_error and logs, without addresses or URLs.

    The webhook URL is usually a secret (it carries the token), and SMTP errors can quote
    recipient addresses, so both are masked.
    """
    if isinstance(exc, DeliveryError):
        text = str(exc)
    else:
        detail = str(exc).strip()
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    if settings is not None and settings.webhook_url:
        text = text.replace(settings.webhook_url, "<webhook>")
    text = _EMAIL_ADDRESS.sub("<address>", text)
    return text.replace("\n", " ")[:300]


def email_message(notice: Notice, settings: NotifySettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message["Subject"] = notice.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.email_from.rpartition("@")[2] or None)
    message.set_content(notice.text(settings) + "\n")
    return message


async def send_email(notice: Notice, settings: NotifySettings) -> None:
    if not settings.email_to:
        raise DeliveryError("email channel not configured (NOTIFY_EMAIL_TO)")
    await aiosmtplib.send(
        email_message(notice, settings),
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=settings.timeout,
    )


def webhook_payload(notice: Notice, settings: NotifySettings) -> dict[str, object]:
    if isinstance(notice, Digest):
        return {
            "text": notice.text(settings),
            "digest": notice.day,
            "references": [item[0] for item in notice.items],
            "url": notice.url(settings),
        }
    return {
        "text": notice.text(settings),
        "reference": notice.reference,
        "outcome": notice.outcome,
        "trial": notice.trial or content.nct_ids()[content.default_id()],
        "url": notice.url(settings),
    }


async def send_webhook(notice: Notice, settings: NotifySettings) -> None:
    if not settings.webhook_url:
        raise DeliveryError("webhook channel not configured (NOTIFY_WEBHOOK_URL)")
    timeout = aiohttp.ClientTimeout(total=settings.timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(
            settings.webhook_url,
            json=webhook_payload(notice, settings),
            allow_redirects=False,
        ) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"webhook answered HTTP {response.status}")
            await response.read()


async def send(channel: str, notice: Notice, settings: NotifySettings) -> None:
    """Deliver one notification; raises on any failure (DeliveryError or the client's error)."""
    if channel == "email":
        await send_email(notice, settings)
    elif channel == "webhook":
        await send_webhook(notice, settings)
    else:
        raise DeliveryError(f"unknown channel {channel[:16]!r}")
