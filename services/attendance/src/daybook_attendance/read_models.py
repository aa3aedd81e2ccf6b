"""Attendance's own read models, written in the transaction that appends the events they show.

Inline, not through a consumer: a client reads its own write at once, and the day close reads
schedules, holidays and approved leave that are exactly as committed as the events behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias

import asyncpg

from daybook_attendance.domain.day import AttendanceDay, DayContext
from daybook_attendance.domain.evaluation import summarise
from daybook_attendance.domain.leave import LeaveRequest
from daybook_shared.contracts import Event
from daybook_shared.contracts.attendance import (
    AbsenceRecorded,
    AttendanceDayClosed,
    EarlyDepartureRecorded,
    EarlyLeaveApproved,
    EarlyLeaveRejected,
    EarlyLeaveRequested,
    HolidayCancelled,
    HolidayDeclared,
    LateArrivalApproved,
    LateArrivalRecorded,
    LateArrivalRejected,
    LateArrivalRequested,
    LeaveApproved,
    LeaveRejected,
    LeaveRequested,
    WorkScheduleAssigned,
)


async def apply_own(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    for event in events:
        await _apply(conn, event)


async def _apply(conn: asyncpg.Connection, event: Event) -> None:
    payload = event.payload
    match payload:
        case WorkScheduleAssigned():
            await conn.execute(
                """INSERT INTO schedules (schedule_id, employee_id, effective_from, workdays,
                       starts_at, ends_at, late_grace_minutes, early_grace_minutes, timezone,
                       assigned_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT (schedule_id) DO NOTHING""",
                payload.schedule_id,
                payload.employee_id,
                payload.effective_from,
                list(payload.workdays),
                payload.starts_at,
                payload.ends_at,
                payload.late_grace_minutes,
                payload.early_grace_minutes,
                payload.timezone,
                event.occurred_at,
            )
        case HolidayDeclared():
            await conn.execute(
                "INSERT INTO holidays (holiday_date, name) VALUES ($1, $2) "
                "ON CONFLICT (holiday_date) DO UPDATE SET name = EXCLUDED.name",
                payload.holiday_date,
                payload.name,
            )
        case HolidayCancelled():
            await conn.execute("DELETE FROM holidays WHERE holiday_date = $1", payload.holiday_date)
        case LeaveRequested():
            await conn.execute(
                """INSERT INTO leave_requests (request_id, employee_id, first_day, last_day,
                       leave_type, reason, requested_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING""",
                payload.request_id,
                payload.employee_id,
                payload.first_day,
                payload.last_day,
                payload.leave_type,
                payload.reason,
                payload.requested_at,
            )
        case LeaveApproved() | LeaveRejected():
            approved = isinstance(payload, LeaveApproved)
            await _decided(conn, "leave_requests", payload, approved)
            if isinstance(payload, LeaveApproved):
                request = LeaveRequest(
                    payload.request_id,
                    payload.employee_id,
                    payload.first_day,
                    payload.last_day,
                    payload.leave_type,
                )
                await conn.executemany(
                    """INSERT INTO leave_days (employee_id, work_date, request_id, leave_type,
                           approved_at)
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
                    [
                        (
                            payload.employee_id,
                            day,
                            payload.request_id,
                            payload.leave_type,
                            payload.decided_at,
                        )
                        for day in request.days()
                    ],
                )
        case LateArrivalRequested() | EarlyLeaveRequested():
            late = isinstance(payload, LateArrivalRequested)
            await conn.execute(
                """INSERT INTO day_requests (request_id, kind, employee_id, work_date, target,
                       requested_at, in_advance, reason)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id) DO NOTHING""",
                payload.request_id,
                "late_arrival" if late else "early_leave",
                payload.employee_id,
                payload.work_date,
                payload.expected_arrival
                if isinstance(payload, LateArrivalRequested)
                else payload.leave_at,
                payload.requested_at,
                payload.in_advance if isinstance(payload, LateArrivalRequested) else None,
                payload.reason,
            )
        case LateArrivalApproved() | EarlyLeaveApproved():
            await _decided(conn, "day_requests", payload, True)
        case LateArrivalRejected() | EarlyLeaveRejected():
            await _decided(conn, "day_requests", payload, False)


Decision: TypeAlias = (
    LeaveApproved
    | LeaveRejected
    | LateArrivalApproved
    | LateArrivalRejected
    | EarlyLeaveApproved
    | EarlyLeaveRejected
)


async def _decided(conn: asyncpg.Connection, table: str, payload: Decision, approved: bool) -> None:
    await conn.execute(
        f"UPDATE {table} SET status = $2, decided_by = $3, decided_at = $4, note = $5 "
        "WHERE request_id = $1",
        payload.request_id,
        "approved" if approved else "rejected",
        payload.decided_by,
        payload.decided_at,
        payload.note,
    )


async def save_day(
    conn: asyncpg.Connection, day: AttendanceDay, context: DayContext, now: datetime
) -> None:
    """The day as it stands: its punches (voided ones marked), the facts in force, the summary
    (as recorded at the close, or so far while the day is open)."""
    summary = summarise(day, context)
    recorded = day.facts.get("AttendanceDayClosed")
    revision = (
        recorded.payload.revision
        if recorded is not None and isinstance(recorded.payload, AttendanceDayClosed)
        else 0
    )
    late = day.facts.get("LateArrivalRecorded")
    early = day.facts.get("EarlyDepartureRecorded")
    absence = day.facts.get("AbsenceRecorded")
    late_fact = late.payload if late is not None else None
    early_fact = early.payload if early is not None else None
    absence_fact = absence.payload if absence is not None else None
    punches = [
        {
            "punch_id": str(p.punch_id),
            "kind": p.kind,
            "at": p.at.isoformat(),
            "source": p.source,
            "voided": p.voided,
        }
        for p in sorted(day.punches, key=lambda p: p.at)
    ]
    await conn.execute(
        """INSERT INTO days (employee_id, work_date, timezone, day_kind, closed, punches,
               first_clock_in, last_clock_out, worked_minutes, missing_clock_out, late_minutes,
               late_excused, early_minutes, early_excused, absent, absence_excused, corrections,
               revision, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   $17, $18, $19)
           ON CONFLICT (employee_id, work_date) DO UPDATE SET
               timezone = EXCLUDED.timezone, day_kind = EXCLUDED.day_kind,
               closed = EXCLUDED.closed, punches = EXCLUDED.punches,
               first_clock_in = EXCLUDED.first_clock_in, last_clock_out = EXCLUDED.last_clock_out,
               worked_minutes = EXCLUDED.worked_minutes,
               missing_clock_out = EXCLUDED.missing_clock_out,
               late_minutes = EXCLUDED.late_minutes, late_excused = EXCLUDED.late_excused,
               early_minutes = EXCLUDED.early_minutes, early_excused = EXCLUDED.early_excused,
               absent = EXCLUDED.absent, absence_excused = EXCLUDED.absence_excused,
               corrections = EXCLUDED.corrections, revision = EXCLUDED.revision,
               updated_at = EXCLUDED.updated_at""",
        day.employee_id,
        day.work_date,
        context.timezone,
        summary.day_kind,
        day.closed,
        punches,
        summary.first_clock_in,
        summary.last_clock_out,
        summary.worked_minutes,
        summary.missing_clock_out and day.closed,
        late_fact.minutes_late if isinstance(late_fact, LateArrivalRecorded) else None,
        late_fact.excused if isinstance(late_fact, LateArrivalRecorded) else None,
        early_fact.minutes_early if isinstance(early_fact, EarlyDepartureRecorded) else None,
        early_fact.excused if isinstance(early_fact, EarlyDepartureRecorded) else None,
        isinstance(absence_fact, AbsenceRecorded),
        absence_fact.excused if isinstance(absence_fact, AbsenceRecorded) else None,
        len(day.correction_ids),
        revision,
        now,
    )
