"""Builders shared by the attendance domain's unit tests (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from uuid import UUID, uuid4

from daybook_attendance.domain.clocking import DayCommand, RecordPunch, decide_day
from daybook_attendance.domain.day import AttendanceDay, DayContext, PunchKind, evolve_day
from daybook_attendance.domain.events import DecidedEvent
from daybook_attendance.domain.schedules import WorkSchedule
from daybook_shared.contracts.attendance import Weekday, WorkScheduleAssigned


def schedule(
    *,
    timezone: str = "Asia/Shanghai",
    starts_at: time = time(9),
    ends_at: time = time(18),
    late_grace: int = 5,
    early_grace: int = 5,
    workdays: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri"),
    effective_from: date = date(2026, 1, 1),
) -> WorkSchedule:
    return WorkSchedule.from_event(
        WorkScheduleAssigned(
            schedule_id=uuid4(),
            employee_id="E1",
            workdays=workdays,
            starts_at=starts_at,
            ends_at=ends_at,
            late_grace_minutes=late_grace,
            early_grace_minutes=early_grace,
            timezone=timezone,
            effective_from=effective_from,
        )
    )


@dataclass
class DayUnderTest:
    """A day's state plus its context; `run` decides a command and applies what it decided."""

    day: AttendanceDay
    context: DayContext
    log: list[DecidedEvent] = field(default_factory=list)

    def run(self, command: DayCommand, context: DayContext | None = None) -> list[DecidedEvent]:
        if context is not None:
            self.context = context
        decided = decide_day(command, self.day, self.context)
        for event in decided:
            self.day = evolve_day(self.day, event)
        self.log.extend(decided)
        return decided

    def punch(
        self, kind: PunchKind, at: datetime, *, punch_id: UUID | None = None
    ) -> list[DecidedEvent]:
        return self.run(
            RecordPunch(
                employee_id=self.day.employee_id,
                work_date=self.day.work_date,
                punch_id=punch_id or uuid4(),
                kind=kind,
                at=at,
                source="web",
                received_at=at,
            )
        )


def make_day(
    work_date: date = date(2026, 3, 2),
    *,
    context: DayContext | None = None,
    employee_id: str = "E1",
) -> DayUnderTest:
    """Monday 2 March 2026 in Shanghai, 09:00-18:00 Monday to Friday, five minutes' grace."""
    ctx = context or DayContext(timezone="Asia/Shanghai", schedule=schedule())
    return DayUnderTest(AttendanceDay(employee_id, work_date), ctx)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def types(events: list[DecidedEvent]) -> list[str]:
    return [e.payload.event_type for e in events]
