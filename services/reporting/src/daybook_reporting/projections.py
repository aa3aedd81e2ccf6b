"""Read models: the roster and calendar from other contexts, and reporting's own views.

The roster (hr.>) and the calendar (attendance's schedules, holidays and approved leave) arrive
through durable JetStream consumers (`daybook_shared.kit.consumer`). Each update is written to be
order-insensitive, because replicas share a consumer: a late, older fact never overwrites a newer
one. Reporting's own events update their views inline, in the transaction that appends them
(`apply_own`), so a client reads its own write at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from daybook_shared.contracts import Event, Payload
from daybook_shared.contracts.attendance import (
    WEEKDAYS,
    HolidayCancelled,
    HolidayDeclared,
    LeaveApproved,
    WorkScheduleAssigned,
)
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred
from daybook_shared.contracts.reporting import (
    CertificationObtained,
    CompanyTargetSet,
    DailyReportMissed,
    DailyReportMissedWithdrawn,
    DailyReportReviewed,
    DailyReportSubmitted,
    GoalProgressReported,
    GoalProgressReportMissed,
    GoalSet,
    MarketReportSubmitted,
    TrainingCompleted,
)


class RosterNotReady(Exception):
    """An hr event about an employee whose hiring has not arrived yet: retried by the consumer."""


class RosterProjection:
    """Who works in which team, for which supervisor, in which timezone (from hr.>)."""

    name = "reporting_roster_v1"
    contexts: Sequence[str] = ("hr",)

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None:
        payload = event.payload
        if isinstance(payload, EmployeeHired):
            await conn.execute(
                """
                INSERT INTO roster AS r (employee_id, team_id, supervisor_id, role, timezone,
                                         hired_on, left_on, assigned_on)
                VALUES ($1, $2, $3, $4, $5, $6, NULL, $6)
                ON CONFLICT (employee_id) DO UPDATE SET
                    hired_on = EXCLUDED.hired_on,
                    left_on = CASE WHEN r.left_on <= EXCLUDED.hired_on THEN NULL ELSE r.left_on END,
                    team_id = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                   THEN EXCLUDED.team_id ELSE r.team_id END,
                    supervisor_id = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                         THEN EXCLUDED.supervisor_id ELSE r.supervisor_id END,
                    role = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                THEN EXCLUDED.role ELSE r.role END,
                    timezone = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                    THEN EXCLUDED.timezone ELSE r.timezone END,
                    assigned_on = GREATEST(r.assigned_on, EXCLUDED.assigned_on)
                """,
                payload.employee_id,
                payload.team_id,
                payload.supervisor_id,
                payload.role,
                payload.timezone,
                payload.hired_on,
            )
        elif isinstance(payload, EmployeeTransferred):
            updated = await conn.fetchval(
                """
                UPDATE roster SET
                    team_id = $2,
                    supervisor_id = $3,
                    role = COALESCE($4, role),
                    timezone = COALESCE($5, timezone),
                    assigned_on = $6
                WHERE employee_id = $1 AND assigned_on <= $6
                RETURNING true
                """,
                payload.employee_id,
                payload.team_id,
                payload.supervisor_id,
                payload.role,
                payload.timezone,
                payload.effective_on,
            )
            if not updated and not await _on_roster(conn, payload.employee_id):
                raise RosterNotReady(f"transfer of {payload.employee_id} before their hiring")
        elif isinstance(payload, EmployeeLeft):
            updated = await conn.fetchval(
                "UPDATE roster SET left_on = $2 WHERE employee_id = $1 AND hired_on < $2 "
                "RETURNING true",
                payload.employee_id,
                payload.left_on,
            )
            if not updated and not await _on_roster(conn, payload.employee_id):
                raise RosterNotReady(f"leaving of {payload.employee_id} before their hiring")
            await recheck(conn, payload.employee_id, payload.left_on, _OPEN_END)


# A recheck "from this day on" ends here; only days with a missed record are ever looked at.
_OPEN_END = date(9999, 12, 31)


async def recheck(
    conn: asyncpg.Connection, employee_id: str | None, first_day: date, last_day: date
) -> None:
    """Note days whose missed reports a late calendar fact may withdraw (None: everyone)."""
    await conn.execute(
        "INSERT INTO calendar_rechecks (employee_id, first_day, last_day) VALUES ($1, $2, $3)",
        employee_id,
        first_day,
        last_day,
    )


async def _on_roster(conn: asyncpg.Connection, employee_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM roster WHERE employee_id = $1", employee_id))


class CalendarProjection:
    """Schedules, company holidays and approved leave (from attendance), for working days."""

    name = "reporting_calendar_v1"
    contexts: Sequence[str] = ("attendance",)

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None:
        payload = event.payload
        if isinstance(payload, WorkScheduleAssigned):
            await conn.execute(
                """
                INSERT INTO work_schedules AS s (employee_id, effective_from, schedule_id, workdays,
                                                 starts_at, ends_at, timezone, assigned_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (employee_id, effective_from) DO UPDATE SET
                    schedule_id = EXCLUDED.schedule_id, workdays = EXCLUDED.workdays,
                    starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
                    timezone = EXCLUDED.timezone, assigned_at = EXCLUDED.assigned_at
                WHERE s.assigned_at <= EXCLUDED.assigned_at
                """,
                payload.employee_id,
                payload.effective_from,
                payload.schedule_id,
                [WEEKDAYS.index(day) + 1 for day in payload.workdays],
                payload.starts_at,
                payload.ends_at,
                payload.timezone,
                event.occurred_at,
            )
            await recheck(conn, payload.employee_id, payload.effective_from, _OPEN_END)
        elif isinstance(payload, HolidayDeclared):
            await conn.execute(
                """
                INSERT INTO holidays AS h (holiday_date, declared_at) VALUES ($1, $2)
                ON CONFLICT (holiday_date) DO UPDATE SET
                    declared_at = GREATEST(h.declared_at, EXCLUDED.declared_at)
                """,
                payload.holiday_date,
                event.occurred_at,
            )
            await recheck(conn, None, payload.holiday_date, payload.holiday_date)
        elif isinstance(payload, HolidayCancelled):
            await conn.execute(
                """
                INSERT INTO holidays AS h (holiday_date, cancelled_at) VALUES ($1, $2)
                ON CONFLICT (holiday_date) DO UPDATE SET
                    cancelled_at = GREATEST(h.cancelled_at, EXCLUDED.cancelled_at)
                """,
                payload.holiday_date,
                event.occurred_at,
            )
        elif isinstance(payload, LeaveApproved):
            await conn.execute(
                """
                INSERT INTO approved_leave (request_id, employee_id, first_day, last_day)
                VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO NOTHING
                """,
                payload.request_id,
                payload.employee_id,
                payload.first_day,
                payload.last_day,
            )
            await recheck(conn, payload.employee_id, payload.first_day, payload.last_day)


async def apply_own(conn: asyncpg.Connection, payload: Payload, occurred_at: datetime) -> None:
    """Update reporting's own views for one of its events (inline, in the appending transaction)."""
    if isinstance(payload, DailyReportSubmitted):
        await conn.execute(
            """
            INSERT INTO daily_reports AS d (employee_id, report_date, supervisor_id, deadline,
                revision, first_submitted_at, last_submitted_at, on_time, work, progress,
                challenges, solutions)
            VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (employee_id, report_date) DO UPDATE SET
                supervisor_id = EXCLUDED.supervisor_id,
                revision = EXCLUDED.revision,
                first_submitted_at = COALESCE(d.first_submitted_at, EXCLUDED.first_submitted_at),
                last_submitted_at = EXCLUDED.last_submitted_at,
                on_time = COALESCE(d.on_time, EXCLUDED.on_time),
                work = EXCLUDED.work, progress = EXCLUDED.progress,
                challenges = EXCLUDED.challenges, solutions = EXCLUDED.solutions
            """,
            payload.employee_id,
            payload.report_date,
            payload.supervisor_id,
            payload.deadline,
            payload.revision,
            payload.submitted_at,
            payload.on_time,
            payload.work,
            payload.progress,
            payload.challenges,
            payload.solutions,
        )
    elif isinstance(payload, DailyReportMissed):
        await conn.execute(
            """
            INSERT INTO daily_reports AS d (employee_id, report_date, supervisor_id, deadline,
                                            missed)
            VALUES ($1, $2, $3, $4, true)
            ON CONFLICT (employee_id, report_date) DO UPDATE SET missed = true
            """,
            payload.employee_id,
            payload.report_date,
            payload.supervisor_id,
            payload.deadline,
        )
    elif isinstance(payload, DailyReportMissedWithdrawn):
        await conn.execute(
            "UPDATE daily_reports SET missed_withdrawn = true "
            "WHERE employee_id = $1 AND report_date = $2",
            payload.employee_id,
            payload.report_date,
        )
    elif isinstance(payload, DailyReportReviewed):
        await conn.execute(
            """
            UPDATE daily_reports SET reviews = reviews + 1, last_reviewed_at = $3,
                                     last_reviewer_id = $4, last_review = $5
            WHERE employee_id = $1 AND report_date = $2
            """,
            payload.employee_id,
            payload.report_date,
            payload.reviewed_at,
            payload.reviewer_id,
            payload.comment,
        )
    elif isinstance(payload, CompanyTargetSet):
        await conn.execute(
            """
            INSERT INTO targets (target_id, team_id, metric, amount, currency, count,
                                 period_start, period_end, set_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            payload.target_id,
            payload.team_id,
            payload.metric,
            payload.amount.amount if payload.amount else None,
            payload.amount.currency if payload.amount else None,
            payload.count,
            payload.period_start,
            payload.period_end,
            occurred_at,
        )
    elif isinstance(payload, GoalSet):
        await conn.execute(
            """
            INSERT INTO goals (goal_id, target_id, employee_id, team_id, metric, amount, currency,
                               count, cadence, period_start, period_end, revision, set_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (goal_id) DO UPDATE SET
                amount = EXCLUDED.amount, currency = EXCLUDED.currency, count = EXCLUDED.count,
                cadence = EXCLUDED.cadence, revision = EXCLUDED.revision, set_at = EXCLUDED.set_at
            """,
            payload.goal_id,
            payload.target_id,
            payload.employee_id,
            payload.team_id,
            payload.metric,
            payload.amount.amount if payload.amount else None,
            payload.amount.currency if payload.amount else None,
            payload.count,
            payload.cadence,
            payload.period_start,
            payload.period_end,
            payload.revision,
            occurred_at,
        )
    elif isinstance(payload, GoalProgressReported):
        await conn.execute(
            """
            INSERT INTO goal_progress (goal_id, period_start, period_end, employee_id, deadline,
                reported, achieved, narrative, next_period_plan, submitted_at, on_time)
            VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10)
            ON CONFLICT (goal_id, period_start) DO UPDATE SET
                reported = true, achieved = EXCLUDED.achieved, narrative = EXCLUDED.narrative,
                next_period_plan = EXCLUDED.next_period_plan,
                submitted_at = EXCLUDED.submitted_at, on_time = EXCLUDED.on_time
            """,
            payload.goal_id,
            payload.period_start,
            payload.period_end,
            payload.employee_id,
            payload.deadline,
            payload.value(),
            payload.narrative,
            payload.next_period_plan,
            payload.submitted_at,
            payload.on_time,
        )
    elif isinstance(payload, GoalProgressReportMissed):
        await conn.execute(
            """
            INSERT INTO goal_progress (goal_id, period_start, period_end, employee_id, deadline,
                                       missed)
            VALUES ($1, $2, $3, $4, $5, true)
            ON CONFLICT (goal_id, period_start) DO UPDATE SET missed = true
            """,
            payload.goal_id,
            payload.period_start,
            payload.period_end,
            payload.employee_id,
            payload.deadline,
        )
    elif isinstance(payload, MarketReportSubmitted):
        await conn.execute(
            """
            INSERT INTO market_reports (report_id, employee_id, topic, competitors, findings,
                                        submitted_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            payload.report_id,
            payload.employee_id,
            payload.topic,
            list(payload.competitors),
            payload.findings,
            payload.submitted_at,
        )
    elif isinstance(payload, TrainingCompleted):
        await conn.execute(
            """
            INSERT INTO development_log (entry_id, employee_id, kind, title, hours, on_date)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            payload.entry_id,
            payload.employee_id,
            payload.kind,
            payload.title,
            payload.hours,
            payload.completed_on,
        )
    elif isinstance(payload, CertificationObtained):
        await conn.execute(
            """
            INSERT INTO development_log (entry_id, employee_id, kind, title, on_date, issuer,
                                         expires_on)
            VALUES ($1, $2, 'certification', $3, $4, $5, $6)
            """,
            payload.entry_id,
            payload.employee_id,
            payload.name,
            payload.obtained_on,
            payload.issuer,
            payload.expires_on,
        )
