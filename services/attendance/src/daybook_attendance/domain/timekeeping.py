"""Wall-clock time in an employee's timezone, turned into instants the evaluation can compare.

Every instant the domain keeps is in UTC: Python compares and subtracts two datetimes that share a
tzinfo by their wall-clock reading, ignoring the offset, which is wrong across a daylight-saving
change. Converting to UTC first makes every difference a real elapsed time.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"{instant.isoformat()} has no timezone; times must be timezone-aware")
    return instant.astimezone(UTC)


def local_instant(day: date, wall_clock: time, timezone: str) -> datetime:
    """The instant a wall-clock time happens on `day` in `timezone`, in UTC.

    A time skipped by a daylight-saving jump is read with the offset before the jump (so 02:30 on
    a spring-forward night is 03:30 in summer time); a repeated time takes its first occurrence.
    """
    return utc(datetime.combine(day, wall_clock, tzinfo=zone(timezone)))


def day_start(day: date, timezone: str) -> datetime:
    return local_instant(day, time(0), timezone)


def day_end(day: date, timezone: str) -> datetime:
    """The instant `day` ends (the next local midnight): 23, 24 or 25 hours after it began."""
    return day_start(day + timedelta(days=1), timezone)


def local_date(instant: datetime, timezone: str) -> date:
    return utc(instant).astimezone(zone(timezone)).date()


def local_text(instant: datetime, timezone: str) -> str:
    """`2026-03-02 09:07 (Asia/Shanghai)`: how an error message shows an instant to a person."""
    return f"{utc(instant).astimezone(zone(timezone)):%Y-%m-%d %H:%M} ({timezone})"


def minutes_rounded_up(span: timedelta) -> int:
    """Whole minutes, a started minute counting as one: 9:05:30 is six minutes after 9:00."""
    return math.ceil(span.total_seconds() / 60)


def minutes_rounded_down(span: timedelta) -> int:
    """Whole minutes completed: worked time counts only finished minutes."""
    return math.floor(span.total_seconds() / 60)
