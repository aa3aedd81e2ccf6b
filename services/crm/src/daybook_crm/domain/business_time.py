"""Business hours: deadlines and elapsed times that count only the working day (R-A4, R-B3.3).

All arithmetic is done on UTC instants: two aware datetimes sharing a zone subtract as wall-clock
times in Python, which would be off by an hour across a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daybook_shared.errors import InvalidCommand

# A calendar with no working day in ten years cannot place a deadline: refuse instead of looping.
_SEARCH_HORIZON_DAYS = 3660

Weekday = Annotated[int, Field(ge=0, le=6)]
"""Monday is 0, Sunday is 6 (`date.weekday()`)."""


class BusinessHours(BaseModel):
    """When the organisation works: one window a day on working days, minus holidays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens: time = time(9, 0)
    closes: time = time(18, 0)
    workdays: frozenset[Weekday] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _a_working_day_exists(self) -> BusinessHours:
        if self.opens >= self.closes:
            raise ValueError("business hours must open before they close")
        if not self.workdays:
            raise ValueError("business hours need at least one workday")
        return self

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def windows_from(self, start: datetime, zone: str) -> Iterator[tuple[datetime, datetime]]:
        """The working windows (UTC) that end after `start`, in order, clipped to begin no
        earlier than `start`."""
        tz = ZoneInfo(zone)
        start_utc = _utc(start)
        day = start_utc.astimezone(tz).date()
        for _ in range(_SEARCH_HORIZON_DAYS):
            if self.is_working_day(day):
                opens = datetime.combine(day, self.opens, tzinfo=tz).astimezone(UTC)
                closes = datetime.combine(day, self.closes, tzinfo=tz).astimezone(UTC)
                if closes > start_utc:
                    yield max(opens, start_utc), closes
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_SEARCH_HORIZON_DAYS} days of {start.date()}")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime has no instant: {moment.isoformat()}")
    return moment.astimezone(UTC)


def add_business_minutes(
    start: datetime, minutes: int, hours: BusinessHours, zone: str
) -> datetime:
    """The instant `minutes` of business time after `start`, in the calendar of `zone`.

    A start outside the working day begins counting at the next opening: an inquiry received on
    Saturday with a four-hour budget is due at Monday 13:00.
    """
    if minutes < 1:
        raise ValueError("a business-time budget is at least one minute")
    remaining = timedelta(minutes=minutes)
    for window_start, window_end in hours.windows_from(start, zone):
        available = window_end - window_start
        if remaining <= available:
            return window_start + remaining
        remaining -= available
    raise AssertionError("windows_from is unbounded until its horizon")  # pragma: no cover


def business_minutes_between(
    start: datetime, end: datetime, hours: BusinessHours, zone: str
) -> int:
    """Whole minutes of business time from `start` to `end` (0 when `end` is not after it)."""
    end_utc = _utc(end)
    if end_utc <= _utc(start):
        return 0
    total = timedelta()
    for window_start, window_end in hours.windows_from(start, zone):
        if window_start >= end_utc:
            break
        total += min(window_end, end_utc) - window_start
    return int(total.total_seconds() // 60)


def elapsed_minutes(start: datetime, end: datetime) -> int:
    """Whole wall-clock minutes from `start` to `end` (0 when `end` is not after it)."""
    seconds = (_utc(end) - _utc(start)).total_seconds()
    return max(0, int(seconds // 60))


CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
"""How far ahead of crm's clock a reported time may be: other systems' clocks drift a little."""


def require_not_future(moment: datetime, now: datetime, field: str) -> None:
    """A fact is reported after it happened; a time ahead of the clock is a mistake."""
    if _utc(moment) > _utc(now) + CLOCK_SKEW_TOLERANCE:
        raise InvalidCommand(
            f"{field} {moment.isoformat()} is in the future (now {now.isoformat()})", field=field
        )
