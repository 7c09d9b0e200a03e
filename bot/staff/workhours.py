"""Working hours of the study team, and when a record waiting for a first call is overdue.

Settings (environment, defaults in brackets): WORK_TIMEZONE [America/New_York], WORK_HOURS
[09:00-17:00], WORK_DAYS [mon-fri], FOLLOW_UP_TARGET [1d]: "1d" is one working day (the
length of WORK_HOURS), "4h" four working hours. DIGEST_TIME [08:00]: when the daily digest of
overdue records is made, local time, on working days.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkHoursError(ValueError):
    pass


def _clock(text: str) -> time:
    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise WorkHoursError(f"not a time of day (HH:MM): {text!r}")
    return time(int(found.group(1)), int(found.group(2)))


def _days(text: str) -> frozenset[int]:
    chosen: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise WorkHoursError(f"WORK_DAYS: use mon..sun, e.g. mon-fri (got {text!r})")
        start, end = DAYS.index(first), DAYS.index(last or first)
        wraps = [*range(start, 7), *range(end + 1)]
        chosen.update(range(start, end + 1) if start <= end else wraps)
    if not chosen:
        raise WorkHoursError("WORK_DAYS: at least one day")
    return frozenset(chosen)


@dataclass(frozen=True)
class WorkHours:
    zone: str = "America/New_York"
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    target_days: float = 1.0  # the follow-up target in working days
    target_hours: float | None = None  # ... or in working hours when given
    digest_at: time = time(8, 0)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkHours:
        """From the environment bot.ops.settings.Settings.from_env read (settings.hours)."""

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        zone = get("WORK_TIMEZONE", cls.zone)
        try:
            ZoneInfo(zone)
        except Exception as error:
            raise WorkHoursError(f"WORK_TIMEZONE: unknown time zone {zone!r}") from error
        hours = get("WORK_HOURS", "09:00-17:00")
        start_text, _, end_text = hours.partition("-")
        start, end = _clock(start_text), _clock(end_text or "x")
        if end <= start:
            raise WorkHoursError("WORK_HOURS: the end must be after the start (e.g. 09:00-17:00)")
        target = get("FOLLOW_UP_TARGET", "1d").lower()
        found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([dh])", target)
        if not found or float(found.group(1)) <= 0:
            raise WorkHoursError("FOLLOW_UP_TARGET: e.g. 1d (working days) or 5h (working hours)")
        amount = float(found.group(1))
        return cls(
            zone=zone,
            start=start,
            end=end,
            days=_days(get("WORK_DAYS", "mon-fri")),
            target_days=amount if found.group(2) == "d" else 1.0,
            target_hours=amount if found.group(2) == "h" else None,
            digest_at=_clock(get("DIGEST_TIME", "08:00")),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def day_seconds(self) -> float:
        return (
            datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        ).total_seconds()

    @property
    def target_seconds(self) -> float:
        if self.target_hours is not None:
            return self.target_hours * 3600
        return self.target_days * self.day_seconds

    def describe_target(self) -> str:
        if self.target_hours is not None:
            return f"{self.target_hours:g} working hours"
        unit = "day" if self.target_days == 1 else "days"
        return f"{self.target_days:g} working {unit}"

    def local(self, moment: datetime) -> datetime:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return aware.astimezone(self.tz)

    def working_seconds(self, begin: datetime, until: datetime) -> float:
        """Seconds of working time between two moments (0 if until is before begin)."""
        first, last = self.local(begin), self.local(until)
        if last <= first:
            return 0.0
        total = 0.0
        day = first.date()
        while day <= last.date():
            if day.weekday() in self.days:
                open_at = datetime.combine(day, self.start, self.tz)
                close_at = datetime.combine(day, self.end, self.tz)
                low, high = max(open_at, first), min(close_at, last)
                if high > low:
                    total += (high - low).total_seconds()
            day += timedelta(days=1)
        return total

    def due(self, begin: datetime) -> datetime:
        """When a record that arrived at begin reaches the follow-up target (UTC)."""
        left = self.target_seconds
        moment = self.local(begin)
        day = moment.date()
        for _ in range(400):
            if day.weekday() in self.days:
                open_at = datetime.combine(day, self.start, self.tz)
                close_at = datetime.combine(day, self.end, self.tz)
                low = max(open_at, moment)
                if close_at > low:
                    available = (close_at - low).total_seconds()
                    if available >= left:
                        return (low + timedelta(seconds=left)).astimezone(timezone.utc)
                    left -= available
            day += timedelta(days=1)
        raise WorkHoursError("no working time within 400 days")

    def overdue(self, begin: datetime, now: datetime) -> bool:
        return now > self.due(begin)

    def cutoff(self, now: datetime) -> datetime:
        """The latest arrival time that is overdue at now (records that arrived at or before
        it have waited past the target): due() is monotonic, so a bisection finds it."""
        low = now - timedelta(days=400)
        high = now
        if self.due(high) < now:
            return high
        for _ in range(60):
            middle = low + (high - low) / 2
            if self.due(middle) < now:
                low = middle
            else:
                high = middle
            if (high - low).total_seconds() < 1:
                break
        return low

    def waited(self, begin: datetime, now: datetime) -> str:
        """'3 working hours', '2 working days' (whole days of WORK_HOURS)."""
        seconds = self.working_seconds(begin, now)
        if seconds < self.day_seconds:
            hours = int(seconds // 3600)
            return f"{hours} working hour{'s' if hours != 1 else ''}"
        days = int(seconds // self.day_seconds)
        return f"{days} working day{'s' if days != 1 else ''}"

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days
