"""The one place a service reads the time; the domain receives it instead of reading it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _as_utc(moment: datetime, name: str) -> datetime:
    # A naive datetime has no instant: guessing its zone would move deadlines by hours.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


class ManualClock:
    """A clock that moves only when told to: for tests and for replaying history."""

    def __init__(self, start: datetime) -> None:
        self._now = _as_utc(start, "start")

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _as_utc(moment, "moment")

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by `delta` and return the new time."""
        self._now = self._now + delta
        return self._now
