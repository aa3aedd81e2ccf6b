"""The daily work report of one employee for one working day (R-A2).

One stream per employee and day holds its revisions, the missed record and the reviews.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from daybook_reporting.domain.calendar import DayStatus, DeadlinePolicy, EmployeeCalendar
from daybook_reporting.domain.facts import Recorded, build
from daybook_shared.contracts.reporting import (
    DailyReportMissed,
    DailyReportMissedWithdrawn,
    DailyReportReviewed,
    DailyReportSubmitted,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.ids import derived_id

_WHY_NOT_DUE: dict[DayStatus, str] = {
    "weekend": "not one of their workdays",
    "holiday": "a holiday",
    "on_leave": "a day of approved leave",
    "not_employed": "outside their employment",
}


def daily_report_stream(employee_id: str, report_date: date) -> str:
    return f"daily-report:{employee_id}:{report_date.isoformat()}"


def missed_report_event_id(employee_id: str, report_date: date) -> UUID:
    return derived_id("DailyReportMissed", employee_id, report_date.isoformat())


@dataclass(frozen=True)
class SubmitDailyReport:
    """Submit, or amend before its deadline, the report for a working day."""

    employee_id: str
    report_date: date
    work: str
    progress: str
    challenges: str
    solutions: str
    submitted_at: datetime
    supervisor_id: str | None
    calendar: EmployeeCalendar
    policy: DeadlinePolicy


@dataclass(frozen=True)
class ReviewDailyReport:
    """The supervisor's comment on a report; `revision` None means the latest one."""

    employee_id: str
    report_date: date
    reviewer_id: str
    comment: str
    reviewed_at: datetime
    revision: int | None = None


@dataclass(frozen=True)
class RecordMissedDailyReport:
    """Record, once its deadline has passed, that a working day's report was not in on time."""

    employee_id: str
    report_date: date
    now: datetime
    supervisor_id: str | None
    calendar: EmployeeCalendar
    policy: DeadlinePolicy


@dataclass(frozen=True)
class WithdrawMissedDailyReport:
    """Withdraw a missed record when a later calendar fact shows the day was not a working day."""

    employee_id: str
    report_date: date
    calendar: EmployeeCalendar


@dataclass(frozen=True)
class DailyReport:
    revisions: tuple[DailyReportSubmitted, ...] = ()
    missed: DailyReportMissed | None = None
    withdrawal: DailyReportMissedWithdrawn | None = None
    reviews: tuple[DailyReportReviewed, ...] = ()

    @property
    def latest(self) -> DailyReportSubmitted | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def deadline(self) -> datetime | None:
        """The deadline fixed at the first submission (or the missed record), if either exists."""
        if self.revisions:
            return self.revisions[0].deadline
        return self.missed.deadline if self.missed else None

    def in_by(self, moment: datetime) -> bool:
        return any(revision.submitted_at <= moment for revision in self.revisions)


def evolve(state: DailyReport, payload: object) -> DailyReport:
    if isinstance(payload, DailyReportSubmitted):
        return replace(state, revisions=(*state.revisions, payload))
    if isinstance(payload, DailyReportMissed):
        return replace(state, missed=payload)
    if isinstance(payload, DailyReportMissedWithdrawn):
        return replace(state, withdrawal=payload)
    if isinstance(payload, DailyReportReviewed):
        return replace(state, reviews=(*state.reviews, payload))
    return state


def require_due(calendar: EmployeeCalendar, report_date: date) -> None:
    """R-A2: a report is due only on a working day."""
    status = calendar.status(report_date)
    if status != "working":
        raise InvalidCommand(
            f"report_date {report_date.isoformat()} is {_WHY_NOT_DUE[status]} for "
            f"{calendar.employee_id}: no report is due that day",
            field="report_date",
        )


def submit(command: SubmitDailyReport, state: DailyReport) -> list[Recorded]:
    """R-A2: record the report, on time or late; an amendment must come before the deadline."""
    calendar = command.calendar
    require_due(calendar, command.report_date)
    today = calendar.local_date(command.submitted_at)
    if command.report_date > today:
        raise InvalidCommand(
            f"report_date {command.report_date.isoformat()} has not begun yet in "
            f"{calendar.timezone} (today is {today.isoformat()})",
            field="report_date",
        )
    deadline = state.deadline or command.policy.deadline(calendar, command.report_date)
    on_time = command.submitted_at <= deadline
    if state.revisions and not on_time:
        raise Conflict(
            f"the report for {command.report_date.isoformat()} was due at "
            f"{deadline.isoformat()}; it can no longer be amended"
        )
    payload = build(
        DailyReportSubmitted,
        employee_id=command.employee_id,
        report_date=command.report_date,
        revision=len(state.revisions) + 1,
        work=command.work,
        progress=command.progress,
        challenges=command.challenges,
        solutions=command.solutions,
        supervisor_id=command.supervisor_id,
        submitted_at=command.submitted_at,
        deadline=deadline,
        on_time=on_time,
    )
    return [Recorded(payload, command.submitted_at)]


def record_missed(command: RecordMissedDailyReport, state: DailyReport) -> list[Recorded]:
    """R-A2: nothing in by the deadline of a working day becomes one `DailyReportMissed`.

    Nothing is recorded for a day that is not a working day, before the deadline, when a revision
    was in by the deadline, or when the day is already recorded as missed. The event id derives from
    employee and day, so two sweeps (or two replicas) cannot record it twice.
    """
    if state.missed is not None or not command.calendar.is_working_day(command.report_date):
        return []
    deadline = state.deadline or command.policy.deadline(command.calendar, command.report_date)
    if command.now < deadline or state.in_by(deadline):
        return []
    payload = build(
        DailyReportMissed,
        employee_id=command.employee_id,
        report_date=command.report_date,
        deadline=deadline,
        supervisor_id=command.supervisor_id,
    )
    event_id = missed_report_event_id(command.employee_id, command.report_date)
    return [Recorded(payload, deadline, event_id)]


def withdraw_missed(command: WithdrawMissedDailyReport, state: DailyReport) -> list[Recorded]:
    """R-A2: late facts compensate, never edit: a missed record for a day that turned out not to
    be a working day (leave approved or a holiday declared after the deadline) is withdrawn.

    It keeps the missed record's business time (its deadline), so a consumer that buckets by
    period subtracts where it added; its id derives from the missed record's, so it happens once.
    """
    if state.missed is None or state.withdrawal is not None:
        return []
    status = command.calendar.status(command.report_date)
    if status == "working":
        return []
    missed_id = missed_report_event_id(command.employee_id, command.report_date)
    payload = build(
        DailyReportMissedWithdrawn,
        employee_id=command.employee_id,
        report_date=command.report_date,
        withdrawn_event_id=missed_id,
        day_status=status,
    )
    event_id = derived_id("DailyReportMissedWithdrawn", missed_id)
    return [Recorded(payload, state.missed.deadline, event_id)]


def review(command: ReviewDailyReport, state: DailyReport) -> list[Recorded]:
    """R-A2: the direct supervisor comments on a submitted report (the latest revision by default)."""
    if not state.revisions:
        raise NotFound(
            f"{command.employee_id} has submitted no report for "
            f"{command.report_date.isoformat()} to review",
            field="report_date",
        )
    revision = command.revision or len(state.revisions)
    if not 1 <= revision <= len(state.revisions):
        raise NotFound(
            f"the report for {command.report_date.isoformat()} has no revision {revision} "
            f"(latest is {len(state.revisions)})",
            field="revision",
        )
    payload = build(
        DailyReportReviewed,
        employee_id=command.employee_id,
        report_date=command.report_date,
        revision=revision,
        reviewer_id=command.reviewer_id,
        comment=command.comment,
        reviewed_at=command.reviewed_at,
    )
    return [Recorded(payload, command.reviewed_at)]
