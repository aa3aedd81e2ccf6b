"""Which days the scheduled close should close now (R-A1, R-B3.1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from daybook_attendance.domain.schedules import ScheduleHistory
from daybook_attendance.domain.timekeeping import day_end

# One run closes at most this many days per employee; the next run carries on from there.
MAX_DAYS_PER_RUN = 62


def days_to_close(
    history: ScheduleHistory,
    *,
    roster_timezone: str,
    hired_on: date,
    left_on: date | None,
    closed_through: date | None,
    now: datetime,
    limit: int = MAX_DAYS_PER_RUN,
) -> list[date]:
    """The days to close, in order: from the first scheduled day of employment (or the day after
    the last one closed in order) up to the last day that has ended in its own timezone. Days
    before the first schedule are never closed: without hours nothing can be late or absent."""
    if not history.assignments:
        return []
    first_scheduled = min(s.effective_from for s in history.assignments)
    start = max(first_scheduled, hired_on)
    if closed_through is not None:
        start = max(start, closed_through + timedelta(days=1))
    due: list[date] = []
    day = start
    while len(due) < limit and (left_on is None or day <= left_on):
        if day_end(day, history.timezone_on(day, roster_timezone)) > now:
            break
        due.append(day)
        day += timedelta(days=1)
    return due
