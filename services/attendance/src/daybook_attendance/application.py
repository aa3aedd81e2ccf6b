"""Command handlers: lock, load the streams, decide, append, update the read models; one transaction.

Each handler takes the kit's `UnitOfWork` (and plain values) and returns the command's JSON answer.

Concurrency. A day's facts depend on its own stream and on things outside it: the schedule, the
holiday calendar and approved leave. The day's stream version serialises writers of one day; two
advisory locks, taken before anything is read, make the outside context consistent too:
- every command on an employee's days holds that employee's lock, so a leave approval and the
  day close of the same employee never both decide on stale facts;
- every such command also holds the calendar lock in shared mode, and a holiday declaration holds
  it exclusively, so a holiday and a day close never miss each other.
Transactions read committed data, so what a command reads after its locks is what the last
holder committed. Locks are taken calendar first, then employees in id order: no deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from uuid import UUID

import asyncpg
import structlog

from daybook_attendance.domain.calendar import (
    CALENDAR_STREAM,
    CancelHoliday,
    DeclareHoliday,
    HolidayCalendar,
    decide_cancel_holiday,
    decide_declare_holiday,
    evolve_calendar,
)
from daybook_attendance.domain.clocking import (
    CloseDay,
    CorrectDay,
    DayCommand,
    DecideRequest,
    RecordPunch,
    ReevaluateDay,
    RequestEarlyLeave,
    RequestLateArrival,
    decide_day,
    decide_punch_batch,
)
from daybook_attendance.domain.day import (
    ApprovedLeave,
    AttendanceDay,
    DayContext,
    PunchKind,
    day_stream,
    evolve_day,
    replay_day,
)
from daybook_attendance.domain.day_close import days_to_close
from daybook_attendance.domain.errors import InvalidCommand, RequestNotFound
from daybook_attendance.domain.events import DecidedEvent
from daybook_attendance.domain.leave import (
    DecideLeave,
    LeaveRequest,
    RequestLeave,
    decide_leave,
    decide_request_leave,
    evolve_leave,
    leave_stream,
)
from daybook_attendance.domain.roster import (
    Actor,
    RosterEntry,
    ensure_acts_for_self,
    ensure_employed_on,
    ensure_may_punch_for,
    ensure_on_roster,
    ensure_supervises,
)
from daybook_attendance.domain.schedules import (
    AssignWorkSchedule,
    ScheduleHistory,
    WorkSchedule,
    decide_assign_schedule,
    evolve_schedules,
    schedule_stream,
)
from daybook_attendance.read_models import apply_own, save_day
from daybook_shared.contracts import Event
from daybook_shared.contracts.attendance import (
    HolidayCancelled,
    HolidayDeclared,
    LateArrivalRequested,
    LeaveApproved,
    LeaveRejected,
    LeaveRequested,
    PunchSource,
    WithdrawalCause,
    WorkScheduleAssigned,
)
from daybook_shared.errors import DomainError
from daybook_shared.kit.eventstore import NewEvent, UnitOfWork
from daybook_shared.runtime.service import ServiceKit

log = structlog.get_logger("daybook.attendance")

# Advisory lock keys: (class, object), in their own key space so nothing else collides with them.
_EMPLOYEE_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtext('daybook-attendance-employee'), hashtext($1))"
)
_CALENDAR_SHARED = "SELECT pg_advisory_xact_lock_shared(hashtext('daybook-attendance-calendar'), 0)"
_CALENDAR_EXCLUSIVE = "SELECT pg_advisory_xact_lock(hashtext('daybook-attendance-calendar'), 0)"


@dataclass(frozen=True)
class Employee:
    """What a day command needs about one employee, read under the employee's lock."""

    entry: RosterEntry
    schedules: ScheduleHistory


async def _lock(conn: asyncpg.Connection, employee_ids: Iterable[str]) -> None:
    await conn.execute(_CALENDAR_SHARED)
    for employee_id in sorted(set(employee_ids)):
        await conn.execute(_EMPLOYEE_LOCK, employee_id)


async def _roster_entry(conn: asyncpg.Connection, employee_id: str) -> RosterEntry | None:
    row = await conn.fetchrow(
        "SELECT employee_id, team_id, supervisor_id, role, timezone, hired_on, left_on "
        "FROM roster WHERE employee_id = $1",
        employee_id,
    )
    return RosterEntry(**dict(row)) if row is not None else None


async def _schedules(uow: UnitOfWork, employee_id: str) -> ScheduleHistory:
    history = ScheduleHistory(employee_id)
    for event in await uow.load(schedule_stream(employee_id)):
        if isinstance(event.payload, WorkScheduleAssigned):
            history = evolve_schedules(history, event.payload)
    return history


async def _employee(uow: UnitOfWork, employee_id: str, *, locked: bool = False) -> Employee:
    """Lock the employee (unless the caller did), then read their roster entry and schedules."""
    if not locked:
        await _lock(uow.conn, [employee_id])
    entry = ensure_on_roster(await _roster_entry(uow.conn, employee_id), employee_id)
    return Employee(entry, await _schedules(uow, employee_id))


async def _context(conn: asyncpg.Connection, employee: Employee, work_date: date) -> DayContext:
    schedule = employee.schedules.for_date(work_date)
    holiday = await conn.fetchval("SELECT name FROM holidays WHERE holiday_date = $1", work_date)
    leave = await conn.fetchrow(
        "SELECT request_id, leave_type FROM leave_days WHERE employee_id = $1 AND work_date = $2 "
        "ORDER BY approved_at, request_id LIMIT 1",
        employee.entry.employee_id,
        work_date,
    )
    return DayContext(
        timezone=schedule.timezone if schedule else employee.entry.timezone,
        schedule=schedule,
        holiday=holiday,
        leave=ApprovedLeave(leave["request_id"], leave["leave_type"]) if leave else None,
    )


def _new_events(decided: Sequence[DecidedEvent]) -> list[NewEvent]:
    return [NewEvent(d.payload, d.occurred_at, d.event_id) for d in decided]


async def _on_day(
    uow: UnitOfWork, employee: Employee, work_date: date, command: DayCommand
) -> tuple[AttendanceDay, list[Event]]:
    """Decide a command on one day and store what it decided, with the day's read model."""
    context = await _context(uow.conn, employee, work_date)
    stream = day_stream(employee.entry.employee_id, work_date)
    day = replay_day(employee.entry.employee_id, work_date, await uow.load(stream))
    existed = uow.version(stream) > 0
    stored = await uow.append(stream, _new_events(decide_day(command, day, context)))
    for event in stored:
        day = evolve_day(day, event)
    await apply_own(uow.conn, stored)
    if stored or existed:
        await save_day(uow.conn, day, context, uow.meta.recorded_at)
    return day, stored


async def _reevaluate(
    uow: UnitOfWork, employee: Employee, dates: Iterable[date], cause: WithdrawalCause
) -> list[Event]:
    """Bring the days that already have a stream up to date with a changed context."""
    stored: list[Event] = []
    for work_date in sorted(set(dates)):
        _, events = await _on_day(
            uow,
            employee,
            work_date,
            ReevaluateDay(employee.entry.employee_id, work_date, cause),
        )
        stored.extend(events)
    return stored


async def _existing_days(
    conn: asyncpg.Connection, employee_id: str, first: date, last: date | None = None
) -> list[date]:
    rows = await conn.fetch(
        "SELECT work_date FROM days WHERE employee_id = $1 AND work_date >= $2 "
        "AND ($3::date IS NULL OR work_date <= $3) ORDER BY work_date",
        employee_id,
        first,
        last,
    )
    return [r["work_date"] for r in rows]


def _types(events: Sequence[Event]) -> list[str]:
    return [e.event_type for e in events]


# Schedules and the calendar ----------------------------------------------------------------------


async def assign_schedule(uow: UnitOfWork, command: AssignWorkSchedule) -> dict:
    """Assign a schedule; today's day (if already punched) is re-evaluated under it."""
    employee = await _employee(uow, command.employee_id)
    stored = await uow.append(
        schedule_stream(command.employee_id),
        _new_events(decide_assign_schedule(command, employee.schedules)),
    )
    await apply_own(uow.conn, stored)
    history = employee.schedules
    for event in stored:
        if isinstance(event.payload, WorkScheduleAssigned):
            history = evolve_schedules(history, event.payload)
    updated = Employee(employee.entry, history)
    days = await _existing_days(uow.conn, command.employee_id, command.effective_from)
    compensations = await _reevaluate(uow, updated, days, "schedule_changed")
    return {
        "schedule_id": str(command.schedule_id),
        "employee_id": command.employee_id,
        "effective_from": command.effective_from.isoformat(),
        "events": _types([*stored, *compensations]),
    }


async def _calendar(uow: UnitOfWork) -> HolidayCalendar:
    calendar = HolidayCalendar()
    for event in await uow.load(CALENDAR_STREAM):
        if isinstance(event.payload, HolidayDeclared | HolidayCancelled):
            calendar = evolve_calendar(calendar, event.payload)
    return calendar


async def _holiday_changed(
    uow: UnitOfWork, holiday_date: date, decided: list[DecidedEvent]
) -> dict:
    stored = await uow.append(CALENDAR_STREAM, _new_events(decided))
    await apply_own(uow.conn, stored)
    compensations: list[Event] = []
    if stored:
        rows = await uow.conn.fetch(
            "SELECT employee_id FROM days WHERE work_date = $1 ORDER BY employee_id", holiday_date
        )
        for row in rows:
            employee = await _employee(uow, row["employee_id"], locked=True)
            compensations += await _reevaluate(uow, employee, [holiday_date], "holiday_changed")
    return {
        "holiday_date": holiday_date.isoformat(),
        "events": _types(stored),
        "days_compensated": len({e.envelope.stream_id for e in compensations}),
    }


async def declare_holiday(uow: UnitOfWork, command: DeclareHoliday) -> dict:
    """A holiday for everyone. Days already evaluated on that date are compensated (an absence
    withdrawn), under the exclusive calendar lock so that no day close runs meanwhile."""
    await uow.conn.execute(_CALENDAR_EXCLUSIVE)
    decided = decide_declare_holiday(command, await _calendar(uow))
    return await _holiday_changed(uow, command.holiday_date, decided)


async def cancel_holiday(uow: UnitOfWork, command: CancelHoliday) -> dict:
    await uow.conn.execute(_CALENDAR_EXCLUSIVE)
    decided = decide_cancel_holiday(command, await _calendar(uow))
    return await _holiday_changed(uow, command.holiday_date, decided)


# Clocking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PunchIn:
    """A punch as it arrives: from the web (`at` is the receive time) or from a device."""

    employee_id: str
    kind: PunchKind
    at: datetime
    source: PunchSource
    received_at: datetime
    punch_id: UUID
    device_id: str | None = None
    device_time: datetime | None = None


def _record_command(employee: Employee, punch: PunchIn) -> RecordPunch:
    work_date, _ = employee.schedules.work_date_of(punch.at, employee.entry.timezone)
    ensure_employed_on(employee.entry, punch.employee_id, work_date)
    return RecordPunch(
        employee_id=punch.employee_id,
        work_date=work_date,
        punch_id=punch.punch_id,
        kind=punch.kind,
        at=punch.at,
        source=punch.source,
        received_at=punch.received_at,
        device_id=punch.device_id,
        device_time=punch.device_time,
    )


def _punch_answer(command: RecordPunch, stored: Sequence[Event]) -> dict:
    recorded = any(e.event_id == command.punch_id for e in stored)
    return {
        "punch_id": str(command.punch_id),
        "employee_id": command.employee_id,
        "kind": command.kind,
        "at": command.at.isoformat(),
        "work_date": command.work_date.isoformat(),
        "status": "recorded" if recorded else "duplicate",
        "events": _types(stored),
    }


async def record_punch(uow: UnitOfWork, actor: Actor, punch: PunchIn) -> dict:
    """One clock-in or clock-out, by the employee or a device (R-A1). A punch already recorded
    (same device, employee, kind and device time) is a duplicate and changes nothing."""
    ensure_may_punch_for(actor, punch.employee_id)
    employee = await _employee(uow, punch.employee_id)
    command = _record_command(employee, punch)
    _, stored = await _on_day(uow, employee, command.work_date, command)
    return _punch_answer(command, stored)


@dataclass(frozen=True)
class UploadedPunch:
    line: int
    punch: PunchIn


async def record_uploaded_punches(
    uow: UnitOfWork, actor: Actor, punches: Sequence[UploadedPunch]
) -> dict:
    """A device's bulk upload: all of it or nothing. Punches are applied in time order per day,
    whatever the file's order, and each day is evaluated once; duplicates (within the file or of
    earlier uploads) are ignored; any refused punch refuses the upload, naming every bad line."""
    for item in punches:
        ensure_may_punch_for(actor, item.punch.employee_id)
    await _lock(uow.conn, [p.punch.employee_id for p in punches])
    problems: list[str] = []
    employees: dict[str, Employee] = {}
    by_day: dict[tuple[str, date], list[tuple[int, RecordPunch]]] = {}
    for item in sorted(punches, key=lambda p: (p.punch.at, p.line)):
        employee_id = item.punch.employee_id
        try:
            if employee_id not in employees:
                employees[employee_id] = await _employee(uow, employee_id, locked=True)
            command = _record_command(employees[employee_id], item.punch)
        except DomainError as exc:
            problems.append(f"line {item.line}: {exc.message}")
            continue
        by_day.setdefault((employee_id, command.work_date), []).append((item.line, command))
    answers: list[dict] = []
    for (employee_id, work_date), lines in sorted(by_day.items()):
        employee = employees[employee_id]
        context = await _context(uow.conn, employee, work_date)
        stream = day_stream(employee_id, work_date)
        day = replay_day(employee_id, work_date, await uow.load(stream))
        existed = uow.version(stream) > 0
        batch = decide_punch_batch([command for _, command in lines], day, context)
        for position, (line, command) in enumerate(lines):
            if position in batch.refused:
                problems.append(f"line {line}: {batch.refused[position].message}")
                continue
            answers.append(
                {
                    "line": line,
                    "punch_id": str(command.punch_id),
                    "employee_id": employee_id,
                    "work_date": work_date.isoformat(),
                    "status": "duplicate" if position in batch.duplicates else "recorded",
                }
            )
        stored = await uow.append(stream, _new_events(batch.events))
        for event in stored:
            day = evolve_day(day, event)
        await apply_own(uow.conn, stored)
        if stored or existed:
            await save_day(uow.conn, day, context, uow.meta.recorded_at)
    if problems:
        problems.sort(key=lambda text: int(text.split(":")[0].removeprefix("line ")))
        raise InvalidCommand(
            f"{len(problems)} punch(es) refused, nothing stored: " + "; ".join(problems),
            field="body",
        )
    answers.sort(key=lambda a: a["line"])
    return {
        "received": len(punches),
        "recorded": sum(a["status"] == "recorded" for a in answers),
        "duplicates": sum(a["status"] == "duplicate" for a in answers),
        "punches": answers,
    }


# Requests ----------------------------------------------------------------------------------------


async def request_late_arrival(uow: UnitOfWork, actor: Actor, command: RequestLateArrival) -> dict:
    ensure_acts_for_self(actor, command.employee_id)
    employee = await _employee(uow, command.employee_id)
    ensure_employed_on(employee.entry, command.employee_id, command.work_date)
    _, stored = await _on_day(uow, employee, command.work_date, command)
    requested = [e.payload for e in stored if isinstance(e.payload, LateArrivalRequested)]
    return {
        "request_id": str(command.request_id),
        "kind": "late_arrival",
        "status": "pending",
        "in_advance": requested[0].in_advance if requested else None,
        "events": _types(stored),
    }


async def request_early_leave(uow: UnitOfWork, actor: Actor, command: RequestEarlyLeave) -> dict:
    ensure_acts_for_self(actor, command.employee_id)
    employee = await _employee(uow, command.employee_id)
    ensure_employed_on(employee.entry, command.employee_id, command.work_date)
    _, stored = await _on_day(uow, employee, command.work_date, command)
    return {
        "request_id": str(command.request_id),
        "kind": "early_leave",
        "status": "pending",
        "events": _types(stored),
    }


async def _leave(uow: UnitOfWork, request_id: UUID) -> LeaveRequest | None:
    request: LeaveRequest | None = None
    for event in await uow.load(leave_stream(request_id)):
        if isinstance(event.payload, LeaveRequested | LeaveApproved | LeaveRejected):
            request = evolve_leave(request, event.payload)
    return request


async def request_leave(uow: UnitOfWork, actor: Actor, command: RequestLeave) -> dict:
    ensure_acts_for_self(actor, command.employee_id)
    employee = await _employee(uow, command.employee_id)
    ensure_employed_on(employee.entry, command.employee_id, command.first_day)
    ensure_employed_on(employee.entry, command.employee_id, command.last_day)
    existing = await _leave(uow, command.request_id)
    stored = await uow.append(
        leave_stream(command.request_id), _new_events(decide_request_leave(command, existing))
    )
    await apply_own(uow.conn, stored)
    return {
        "request_id": str(command.request_id),
        "kind": "leave",
        "status": "pending",
        "events": _types(stored),
    }


async def decide_request(
    uow: UnitOfWork,
    actor: Actor,
    *,
    request_id: UUID,
    approve: bool,
    note: str | None,
    decided_at: datetime,
) -> dict:
    """The employee's own supervisor (or hr) approves or rejects any kind of request (R-A1). An
    approval after the punch, or leave approved after the day closed, compensates at once."""
    decided_by = actor.employee_id or "hr"
    day_request = await uow.conn.fetchrow(
        "SELECT employee_id, work_date, kind FROM day_requests WHERE request_id = $1", request_id
    )
    if day_request is not None:
        employee = await _employee(uow, day_request["employee_id"])
        ensure_supervises(actor, employee.entry)
        _, stored = await _on_day(
            uow,
            employee,
            day_request["work_date"],
            DecideRequest(
                employee_id=day_request["employee_id"],
                work_date=day_request["work_date"],
                request_id=request_id,
                approve=approve,
                decided_by=decided_by,
                decided_at=decided_at,
                note=note,
            ),
        )
        kind = day_request["kind"]
    else:
        employee_id = await uow.conn.fetchval(
            "SELECT employee_id FROM leave_requests WHERE request_id = $1", request_id
        )
        if employee_id is None:
            raise RequestNotFound(f"no request {request_id}", field="request_id")
        employee = await _employee(uow, employee_id)
        ensure_supervises(actor, employee.entry)
        request = await _leave(uow, request_id)
        stored = await uow.append(
            leave_stream(request_id),
            _new_events(
                decide_leave(
                    DecideLeave(request_id, approve, decided_by, decided_at, note), request
                )
            ),
        )
        await apply_own(uow.conn, stored)
        if approve and request is not None:
            days = await _existing_days(uow.conn, employee_id, request.first_day, request.last_day)
            stored += await _reevaluate(uow, employee, days, "leave_decided")
        kind = "leave"
    return {
        "request_id": str(request_id),
        "kind": kind,
        "status": "approved" if approve else "rejected",
        "events": _types(stored),
    }


# Corrections and the day close -------------------------------------------------------------------


async def correct_day(uow: UnitOfWork, actor: Actor, command: CorrectDay) -> dict:
    """A supervisor's correction, with a reason; history stays, derived facts are compensated."""
    employee = await _employee(uow, command.employee_id)
    ensure_supervises(actor, employee.entry)
    ensure_employed_on(employee.entry, command.employee_id, command.work_date)
    _, stored = await _on_day(uow, employee, command.work_date, command)
    return {
        "correction_id": str(command.correction_id),
        "employee_id": command.employee_id,
        "work_date": command.work_date.isoformat(),
        "events": _types(stored),
    }


async def close_day(
    uow: UnitOfWork, *, employee_id: str, work_date: date, now: datetime, in_order: bool = False
) -> dict:
    """Close one day (R-A1, R-B3.1). `in_order` (the scheduled close, which closes each
    employee's days in order) also moves the employee's watermark past this day."""
    employee = await _employee(uow, employee_id)
    ensure_employed_on(employee.entry, employee_id, work_date)
    day, stored = await _on_day(uow, employee, work_date, CloseDay(employee_id, work_date, now))
    if in_order:
        await uow.conn.execute(
            """INSERT INTO close_watermarks AS w (employee_id, closed_through) VALUES ($1, $2)
               ON CONFLICT (employee_id) DO UPDATE
               SET closed_through = GREATEST(w.closed_through, EXCLUDED.closed_through)""",
            employee_id,
            work_date,
        )
    return {
        "employee_id": employee_id,
        "work_date": work_date.isoformat(),
        "closed": day.closed,
        "events": _types(stored),
    }


def _history_from_rows(employee_id: str, rows: Sequence[asyncpg.Record]) -> ScheduleHistory:
    return ScheduleHistory(
        employee_id,
        tuple(
            WorkSchedule(
                schedule_id=r["schedule_id"],
                workdays=tuple(r["workdays"]),
                starts_at=r["starts_at"],
                ends_at=r["ends_at"],
                late_grace=timedelta(minutes=r["late_grace_minutes"]),
                early_grace=timedelta(minutes=r["early_grace_minutes"]),
                timezone=r["timezone"],
                effective_from=r["effective_from"],
            )
            for r in rows
        ),
    )


async def close_due_days(kit: ServiceKit) -> dict:
    """The scheduled day close: every day that has ended in its employee's timezone is closed,
    in order, each in its own transaction. Any number of runs, on any number of replicas, record
    each fact once: closing a closed day decides nothing, and derived ids are deterministic."""
    assert kit.pool is not None, "the service is not started"
    now = kit.clock.now()
    employees = await kit.pool.fetch(
        """SELECT r.employee_id, r.timezone, r.hired_on, r.left_on, w.closed_through
           FROM roster r LEFT JOIN close_watermarks w USING (employee_id)
           WHERE EXISTS (SELECT 1 FROM schedules s WHERE s.employee_id = r.employee_id)
           ORDER BY r.employee_id"""
    )
    closed = 0
    failed = 0
    for row in employees:
        schedules = await kit.pool.fetch(
            "SELECT * FROM schedules WHERE employee_id = $1 ORDER BY assignment", row["employee_id"]
        )
        due = days_to_close(
            _history_from_rows(row["employee_id"], schedules),
            roster_timezone=row["timezone"],
            hired_on=row["hired_on"],
            left_on=row["left_on"],
            closed_through=row["closed_through"],
            now=now,
        )
        for work_date in due:
            try:
                outcome = await kit.execute(
                    "close_day",
                    partial(
                        close_day,
                        employee_id=row["employee_id"],
                        work_date=work_date,
                        now=now,
                        in_order=True,
                    ),
                    principal=None,
                )
            except DomainError as exc:
                failed += 1
                log.warning(
                    "day_close.refused",
                    employee_id=row["employee_id"],
                    work_date=work_date.isoformat(),
                    error=exc.message,
                )
                break
            closed += 1 if outcome.response["events"] else 0
    return {"employees": len(employees), "days_closed": closed, "refused": failed}
