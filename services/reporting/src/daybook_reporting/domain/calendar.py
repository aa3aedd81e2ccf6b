"""An employee's working calendar: which days a report is due, and when it is due (R-A2, R-A3).

Day boundaries and deadlines are evaluated in the employee's own timezone. The facts come from the
roster (hr) and from attendance (schedules, approved leave, holidays); the application gathers them
into an `EmployeeCalendar` so the decisions here stay pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DayStatus = Literal["working", "weekend", "holiday", "on_leave", "not_employed"]

# A next working day further away than this (a schedule with no workdays, a leave of years) is not
# looked for: the deadline falls back to the start of the following calendar day.
_SEARCH_LIMIT_DAYS = 400


@dataclass(frozen=True)
class WorkSchedule:
    """Working weekdays (ISO: 1 is Monday) and the working hours, in the calendar's timezone."""

    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    starts_at: time = time(9, 0)
    ends_at: time = time(18, 0)


DEFAULT_SCHEDULE = WorkSchedule()


@dataclass(frozen=True)
class EmployeeCalendar:
    """The days an employee works, as far as reporting needs to know.

    `schedules` are (effective from, schedule) pairs; before the first one `DEFAULT_SCHEDULE`
    (Monday to Friday, 09:00 to 18:00) applies. `employed_until` is the first day the employee is
    gone (hr's `left_on`).
    """

    employee_id: str
    timezone: str
    employed_from: date
    employed_until: date | None = None
    schedules: tuple[tuple[date, WorkSchedule], ...] = ()
    holidays: frozenset[date] = frozenset()
    leave_days: frozenset[date] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "schedules", tuple(sorted(self.schedules, key=lambda s: s[0])))

    def schedule_on(self, day: date) -> WorkSchedule:
        current = DEFAULT_SCHEDULE
        for effective_from, schedule in self.schedules:
            if effective_from > day:
                break
            current = schedule
        return current

    def status(self, day: date) -> DayStatus:
        """Why a day is or is not a working day, in the order a person would give the reason."""
        if day < self.employed_from or (
            self.employed_until is not None and day >= self.employed_until
        ):
            return "not_employed"
        if day.isoweekday() not in self.schedule_on(day).workdays:
            return "weekend"
        if day in self.holidays:
            return "holiday"
        if day in self.leave_days:
            return "on_leave"
        return "working"

    def is_working_day(self, day: date) -> bool:
        return self.status(day) == "working"

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def local_moment(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)

    def start_of_work(self, day: date) -> datetime:
        return self.local_moment(day, self.schedule_on(day).starts_at)

    def next_working_day(self, after: date) -> date | None:
        day = after
        for _ in range(_SEARCH_LIMIT_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        return None


@dataclass(frozen=True)
class DeadlinePolicy:
    """When a report for a day (or for a period ending on that day) is due.

    `next_working_day_start` (the default, R-A2): the start of the employee's next working day.
    `same_day_at`: a fixed local time on the day itself, for organisations that want reports in
    before people go home.
    """

    kind: Literal["next_working_day_start", "same_day_at"] = "next_working_day_start"
    local_time: time | None = None

    def __post_init__(self) -> None:
        if (self.kind == "same_day_at") != (self.local_time is not None):
            raise ValueError("same_day_at needs a local_time; next_working_day_start takes none")

    @classmethod
    def parse(cls, text: str) -> DeadlinePolicy:
        """`next_working_day_start` or `same_day_at:HH:MM` (as written in the settings)."""
        value = text.strip()
        if value == "next_working_day_start":
            return cls()
        match = re.fullmatch(r"same_day_at:([01]\d|2[0-3]):([0-5]\d)", value)
        if match is None:
            raise ValueError(
                f"deadline policy {text!r} is neither 'next_working_day_start' "
                "nor 'same_day_at:HH:MM'"
            )
        return cls("same_day_at", time(int(match.group(1)), int(match.group(2))))

    def deadline(self, calendar: EmployeeCalendar, day: date) -> datetime:
        if self.kind == "same_day_at" and self.local_time is not None:
            return calendar.local_moment(day, self.local_time)
        following = calendar.next_working_day(day)
        if following is None:
            return calendar.local_moment(
                day + timedelta(days=1), calendar.schedule_on(day).starts_at
            )
        return calendar.start_of_work(following)
