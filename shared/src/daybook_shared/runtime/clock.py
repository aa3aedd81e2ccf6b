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


class FileClock:
    """A simulated clock that several processes share: the time written in a file.

    Development only (`DAYBOOK_CLOCK_FILE`): the demo moves every service through a past month by
    writing one ISO timestamp to one file; a restarted service reads the same time. Without the
    file, it is the wall clock. The file is re-read only when it changes.
    """

    def __init__(self, path: str) -> None:
        from pathlib import Path

        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._now: datetime | None = None

    def now(self) -> datetime:
        try:
            status = self.path.stat()
            stamp = (status.st_ino, status.st_mtime_ns)  # each write replaces the file
        except FileNotFoundError:
            return datetime.now(UTC)
        if stamp != self._stamp or self._now is None:
            text = self.path.read_text("utf-8").strip()
            self._now = _as_utc(datetime.fromisoformat(text), str(self.path))
            self._stamp = stamp
        return self._now

    def set(self, moment: datetime) -> None:
        """Write the shared time (atomically, so a reader never sees half a timestamp)."""
        import os

        moment = _as_utc(moment, "moment")
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(moment.isoformat(), "utf-8")
        os.replace(temporary, self.path)
