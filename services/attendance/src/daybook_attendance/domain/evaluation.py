"""From a day's punches, requests and context to the facts R-A1 and R-B3.1 ask about.

`derive` says which derived facts should be in force for a day, given everything known now.
`reconcile` compares that with the facts in force and returns the events that make them agree:
a new fact is recorded; a fact that no longer holds is withdrawn (`AttendanceFactWithdrawn`); a
fact that changed is withdrawn and its replacement recorded. Every derived event id is
deterministic (employee, date, type and how many of that type the day has recorded), so deciding
the same day twice produces the same ids and the store keeps only one copy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeAlias
from uuid import UUID

from daybook_attendance.domain.day import (
    DERIVED_ORDER,
    AttendanceDay,
    DayContext,
    DerivedFact,
    Punch,
)
from daybook_attendance.domain.events import DecidedEvent
from daybook_attendance.domain.schedules import WorkSchedule
from daybook_attendance.domain.timekeeping import (
    day_end,
    minutes_rounded_down,
    minutes_rounded_up,
)
from daybook_shared.contracts.attendance import (
    AbsenceRecorded,
    AttendanceDayClosed,
    AttendanceFactWithdrawn,
    DayKind,
    DerivedFactType,
    EarlyDepartureRecorded,
    LateArrivalRecorded,
    WithdrawalCause,
)
from daybook_shared.kit.ids import derived_id

Derived: TypeAlias = dict[str, tuple[DerivedFact, datetime]]
"""Desired facts by event type, each with its business time."""


def derive(day: AttendanceDay, context: DayContext, *, closed: bool) -> Derived:
    """The derived facts that should be in force. Lateness is known at the first clock-in; early
    departure, absence and the day's summary only once the day is over (`closed`), because until
    then the employee may still come back or arrive."""
    punches = day.active_punches()
    schedule = context.schedule
    expected_at_work = context.is_workday(day.work_date) and context.leave is None
    desired: Derived = {}
    if expected_at_work and schedule is not None:
        first_in = next((p for p in punches if p.kind == "in"), None)
        if first_in is not None and (late := _late_arrival(day, schedule, first_in)) is not None:
            desired["LateArrivalRecorded"] = (late, first_in.at)
    if not closed:
        return desired
    if expected_at_work and schedule is not None and punches and punches[-1].kind == "out":
        last_out = punches[-1]
        if (early := _early_departure(day, schedule, last_out)) is not None:
            desired["EarlyDepartureRecorded"] = (early, last_out.at)
    if context.is_workday(day.work_date) and context.schedule is not None and not punches:
        leave = context.leave
        absence = AbsenceRecorded(
            employee_id=day.employee_id,
            work_date=day.work_date,
            excused=leave is not None,
            excused_by_leave_request_id=leave.request_id if leave else None,
            leave_type=leave.leave_type if leave else None,
        )
        desired["AbsenceRecorded"] = (absence, context.schedule.start_on(day.work_date))
    desired["AttendanceDayClosed"] = (
        summarise(day, context),
        day_end(day.work_date, context.timezone),
    )
    return desired


def _late_arrival(
    day: AttendanceDay, schedule: WorkSchedule, first_in: Punch
) -> LateArrivalRecorded | None:
    """Late when the first clock-in is after start + grace (R-A1). Excused only by an approved
    request made before the start, and only if the arrival kept to its expected time (+ grace)."""
    start = schedule.start_on(day.work_date)
    if first_in.at <= start + schedule.late_grace:
        return None
    excuse = next(
        (
            r
            for r in sorted(day.requests, key=lambda r: r.requested_at)
            if r.kind == "late_arrival"
            and r.status == "approved"
            and r.requested_at < start
            and first_in.at <= r.target + schedule.late_grace
        ),
        None,
    )
    return LateArrivalRecorded(
        employee_id=day.employee_id,
        work_date=day.work_date,
        punch_id=first_in.punch_id,
        scheduled_start=start,
        arrived_at=first_in.at,
        minutes_late=minutes_rounded_up(first_in.at - start),
        grace_minutes=_minutes(schedule.late_grace),
        excused=excuse is not None,
        excused_by_request_id=excuse.request_id if excuse else None,
    )


def _early_departure(
    day: AttendanceDay, schedule: WorkSchedule, last_out: Punch
) -> EarlyDepartureRecorded | None:
    """Early when the day's last clock-out is before end - grace (R-A1). Excused only by an
    approved early-leave request made before leaving, and only if the employee left no earlier
    than asked (less grace)."""
    end = schedule.end_on(day.work_date)
    if last_out.at >= end - schedule.early_grace:
        return None
    excuse = next(
        (
            r
            for r in sorted(day.requests, key=lambda r: r.requested_at)
            if r.kind == "early_leave"
            and r.status == "approved"
            and r.requested_at <= last_out.at
            and last_out.at >= r.target - schedule.early_grace
        ),
        None,
    )
    return EarlyDepartureRecorded(
        employee_id=day.employee_id,
        work_date=day.work_date,
        punch_id=last_out.punch_id,
        scheduled_end=end,
        departed_at=last_out.at,
        minutes_early=minutes_rounded_up(end - last_out.at),
        grace_minutes=_minutes(schedule.early_grace),
        excused=excuse is not None,
        excused_by_request_id=excuse.request_id if excuse else None,
    )


def summarise(day: AttendanceDay, context: DayContext) -> AttendanceDayClosed:
    """The day's summary as it stands. Worked time pairs each clock-in with the next clock-out; a
    repeated clock-in while in, or clock-out while out (a double badge), adds nothing. An
    interval still open at the end of the day counts nothing and is flagged for a correction."""
    punches = day.active_punches()
    worked = timedelta()
    opened_at: datetime | None = None
    for punch in punches:
        if punch.kind == "in" and opened_at is None:
            opened_at = punch.at
        elif punch.kind == "out" and opened_at is not None:
            worked += punch.at - opened_at
            opened_at = None
    schedule = context.schedule
    expected_at_work = context.is_workday(day.work_date) and context.leave is None
    scheduled = (
        minutes_rounded_down(schedule.end_on(day.work_date) - schedule.start_on(day.work_date))
        if expected_at_work and schedule is not None
        else 0
    )
    ins = [p.at for p in punches if p.kind == "in"]
    outs = [p.at for p in punches if p.kind == "out"]
    return AttendanceDayClosed(
        employee_id=day.employee_id,
        work_date=day.work_date,
        timezone=context.timezone,
        day_kind=_day_kind(day, context),
        on_leave_request_id=context.leave.request_id if context.leave else None,
        scheduled_minutes=scheduled,
        worked_minutes=minutes_rounded_down(worked),
        punch_count=len(punches),
        first_clock_in=ins[0] if ins else None,
        last_clock_out=outs[-1] if outs else None,
        missing_clock_out=opened_at is not None,
        revision=day.generations.get("AttendanceDayClosed", 0) + 1,
    )


def _day_kind(day: AttendanceDay, context: DayContext) -> DayKind:
    if context.holiday is not None:
        return "holiday"
    if context.schedule is None:
        return "unscheduled"
    return "workday" if context.schedule.is_workday(day.work_date) else "rest_day"


def _derived_type(fact: DerivedFact) -> DerivedFactType:
    match fact:
        case LateArrivalRecorded():
            return "LateArrivalRecorded"
        case EarlyDepartureRecorded():
            return "EarlyDepartureRecorded"
        case AbsenceRecorded():
            return "AbsenceRecorded"
        case AttendanceDayClosed():
            return "AttendanceDayClosed"


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _unchanged(recorded: DerivedFact, desired: DerivedFact) -> bool:
    if isinstance(recorded, AttendanceDayClosed) and isinstance(desired, AttendanceDayClosed):
        return recorded == desired.model_copy(update={"revision": recorded.revision})
    return recorded == desired


def derived_event_id(day: AttendanceDay, event_type: str, generation: int) -> UUID:
    return derived_id("attendance", event_type, day.employee_id, day.work_date, generation)


def withdrawal_event_id(withdrawn_event_id: UUID) -> UUID:
    return derived_id("attendance", "AttendanceFactWithdrawn", withdrawn_event_id)


def reconcile(day: AttendanceDay, desired: Derived, cause: WithdrawalCause) -> list[DecidedEvent]:
    """The events that bring the day's facts in force to `desired`: withdraw what no longer
    holds (before its replacement, so a consumer never counts both), record what is new."""
    decided: list[DecidedEvent] = []
    for event_type in DERIVED_ORDER:
        in_force = day.facts.get(event_type)
        wanted = desired.get(event_type)
        if in_force is not None and wanted is not None and _unchanged(in_force.payload, wanted[0]):
            continue
        new_id = (
            derived_event_id(day, event_type, day.generations.get(event_type, 0) + 1)
            if wanted is not None
            else None
        )
        if in_force is not None:
            withdrawal = AttendanceFactWithdrawn(
                employee_id=day.employee_id,
                work_date=day.work_date,
                withdrawn_event_id=in_force.event_id,
                withdrawn_event_type=_derived_type(in_force.payload),
                superseded_by_event_id=new_id,
                cause=cause,
            )
            decided.append(
                DecidedEvent(
                    withdrawal, in_force.occurred_at, withdrawal_event_id(in_force.event_id)
                )
            )
        if wanted is not None:
            decided.append(DecidedEvent(wanted[0], wanted[1], new_id))
    return decided
