"""Work schedules: which days an employee works, the hours, the grace periods (R-A1, R-B3.1)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from uuid import UUID

from daybook_attendance.domain.errors import RetroactiveSchedule
from daybook_attendance.domain.events import DecidedEvent
from daybook_attendance.domain.timekeeping import day_start, local_date, local_instant
from daybook_shared.contracts.attendance import WEEKDAYS, Weekday, WorkScheduleAssigned


@dataclass(frozen=True)
class WorkSchedule:
    schedule_id: UUID
    workdays: tuple[Weekday, ...]
    starts_at: time
    ends_at: time
    late_grace: timedelta
    early_grace: timedelta
    timezone: str
    effective_from: date

    @classmethod
    def from_event(cls, event: WorkScheduleAssigned) -> WorkSchedule:
        return cls(
            schedule_id=event.schedule_id,
            workdays=event.workdays,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            late_grace=timedelta(minutes=event.late_grace_minutes),
            early_grace=timedelta(minutes=event.early_grace_minutes),
            timezone=event.timezone,
            effective_from=event.effective_from,
        )

    def is_workday(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.workdays

    def start_on(self, day: date) -> datetime:
        return local_instant(day, self.starts_at, self.timezone)

    def end_on(self, day: date) -> datetime:
        return local_instant(day, self.ends_at, self.timezone)

    def takes_effect_at(self) -> datetime:
        return day_start(self.effective_from, self.timezone)


@dataclass(frozen=True)
class ScheduleHistory:
    """Every assignment of one employee, in the order they were made."""

    employee_id: str
    assignments: tuple[WorkSchedule, ...] = ()

    def for_date(self, day: date) -> WorkSchedule | None:
        """The assignment in force on `day`: the latest `effective_from` not after it; of two on
        the same date, the one assigned last."""
        in_force = [
            (s.effective_from, order, s)
            for order, s in enumerate(self.assignments)
            if s.effective_from <= day
        ]
        return max(in_force, key=lambda item: item[:2])[2] if in_force else None

    def timezone_at(self, instant: datetime) -> str | None:
        """The timezone of the assignment in force at `instant` (each begins at local midnight of
        its `effective_from`), or None before the first one."""
        in_force = [
            (s.effective_from, order, s)
            for order, s in enumerate(self.assignments)
            if s.takes_effect_at() <= instant
        ]
        return max(in_force, key=lambda item: item[:2])[2].timezone if in_force else None

    def work_date_of(self, instant: datetime, roster_timezone: str) -> tuple[date, str]:
        """The work date an instant belongs to and that date's timezone: the schedule's, or the
        roster's where no schedule applies."""
        timezone = self.timezone_at(instant) or roster_timezone
        day = local_date(instant, timezone)
        schedule = self.for_date(day)
        if schedule is not None and schedule.timezone != timezone:
            timezone = schedule.timezone
            day = local_date(instant, timezone)
        return day, timezone

    def timezone_on(self, day: date, roster_timezone: str) -> str:
        schedule = self.for_date(day)
        return schedule.timezone if schedule is not None else roster_timezone

    def current(self) -> WorkSchedule | None:
        return self.assignments[-1] if self.assignments else None


def schedule_stream(employee_id: str) -> str:
    return f"attendance-schedule-{employee_id}"


def evolve_schedules(history: ScheduleHistory, event: WorkScheduleAssigned) -> ScheduleHistory:
    return replace(history, assignments=(*history.assignments, WorkSchedule.from_event(event)))


@dataclass(frozen=True)
class AssignWorkSchedule:
    schedule_id: UUID
    employee_id: str
    workdays: tuple[Weekday, ...]
    starts_at: time
    ends_at: time
    late_grace_minutes: int
    early_grace_minutes: int
    timezone: str
    effective_from: date
    assigned_at: datetime


def decide_assign_schedule(
    command: AssignWorkSchedule, history: ScheduleHistory
) -> list[DecidedEvent]:
    """A schedule takes effect from today (in its timezone) or later: a closed day keeps the
    schedule it was evaluated under, and a past day is fixed by a correction instead."""
    today = local_date(command.assigned_at, command.timezone)
    if command.effective_from < today:
        raise RetroactiveSchedule(
            f"effective_from {command.effective_from} is in the past (today is {today} in "
            f"{command.timezone}); correct past days instead",
            field="effective_from",
        )
    if any(s.schedule_id == command.schedule_id for s in history.assignments):
        return []
    event = WorkScheduleAssigned(
        schedule_id=command.schedule_id,
        employee_id=command.employee_id,
        workdays=command.workdays,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        late_grace_minutes=command.late_grace_minutes,
        early_grace_minutes=command.early_grace_minutes,
        timezone=command.timezone,
        effective_from=command.effective_from,
    )
    return [DecidedEvent(event, command.assigned_at)]
