"""Read-model queries: an employee's month and day, a team's day, requests awaiting a decision."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from daybook_attendance.domain.roster import RosterEntry

_DAY_COLUMNS = """
    d.work_date, d.timezone, d.day_kind, d.closed, d.punches, d.first_clock_in, d.last_clock_out,
    d.worked_minutes, d.missing_clock_out, d.late_minutes, d.late_excused, d.early_minutes,
    d.early_excused, d.absent, d.absence_excused, d.corrections, d.revision
"""


def _jsonable(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
        if key.endswith("_id") and value is not None and not isinstance(value, str):
            out[key] = str(value)
    return out


async def roster_entry(pool: asyncpg.Pool, employee_id: str) -> RosterEntry | None:
    row = await pool.fetchrow(
        "SELECT employee_id, team_id, supervisor_id, role, timezone, hired_on, left_on "
        "FROM roster WHERE employee_id = $1",
        employee_id,
    )
    return RosterEntry(**dict(row)) if row is not None else None


def _totals(days: list[dict[str, Any]]) -> dict[str, int]:
    """Counts as the appraisal sees them: only unexcused facts count against the employee."""
    return {
        "days_recorded": len(days),
        "days_closed": sum(1 for d in days if d["closed"]),
        "worked_minutes": sum(d["worked_minutes"] for d in days),
        "late_arrivals": sum(1 for d in days if d["late_minutes"] is not None),
        "late_arrivals_unexcused": sum(1 for d in days if d["late_excused"] is False),
        "late_minutes_unexcused": sum(
            d["late_minutes"] for d in days if d["late_excused"] is False
        ),
        "early_departures": sum(1 for d in days if d["early_minutes"] is not None),
        "early_departures_unexcused": sum(1 for d in days if d["early_excused"] is False),
        "absences": sum(1 for d in days if d["absent"]),
        "absences_unexcused": sum(1 for d in days if d["absent"] and not d["absence_excused"]),
        "missing_clock_outs": sum(1 for d in days if d["missing_clock_out"]),
    }


async def employee_month(
    pool: asyncpg.Pool, employee_id: str, first_day: date, last_day: date
) -> dict[str, Any]:
    rows = await pool.fetch(
        f"SELECT {_DAY_COLUMNS} FROM days d "
        "WHERE d.employee_id = $1 AND d.work_date BETWEEN $2 AND $3 ORDER BY d.work_date",
        employee_id,
        first_day,
        last_day,
    )
    days = [_jsonable(r) for r in rows]
    return {
        "employee_id": employee_id,
        "month": first_day.strftime("%Y-%m"),
        "days": days,
        "totals": _totals(days),
    }


async def employee_day(pool: asyncpg.Pool, employee_id: str, work_date: date) -> dict[str, Any]:
    row = await pool.fetchrow(
        f"SELECT {_DAY_COLUMNS} FROM days d WHERE d.employee_id = $1 AND d.work_date = $2",
        employee_id,
        work_date,
    )
    requests = await pool.fetch(
        "SELECT request_id, kind, target, requested_at, in_advance, reason, status, decided_by, "
        "decided_at, note FROM day_requests WHERE employee_id = $1 AND work_date = $2 "
        "ORDER BY requested_at",
        employee_id,
        work_date,
    )
    return {
        "employee_id": employee_id,
        "work_date": work_date.isoformat(),
        "day": _jsonable(row) if row is not None else None,
        "requests": [_jsonable(r) for r in requests],
    }


async def team_day(
    pool: asyncpg.Pool, work_date: date, *, supervisor_id: str | None, team_id: str | None
) -> dict[str, Any]:
    """Every employee in the team (or reporting to the supervisor) that day, punched or not."""
    rows = await pool.fetch(
        f"""SELECT r.employee_id, r.team_id, r.supervisor_id, {_DAY_COLUMNS}
            FROM roster r
            LEFT JOIN days d ON d.employee_id = r.employee_id AND d.work_date = $1
            WHERE ($2::text IS NULL OR r.supervisor_id = $2)
              AND ($3::text IS NULL OR r.team_id = $3)
              AND r.hired_on <= $1 AND (r.left_on IS NULL OR r.left_on >= $1)
            ORDER BY r.employee_id""",
        work_date,
        supervisor_id,
        team_id,
    )
    members = []
    for row in rows:
        record = _jsonable(row)
        day_fields = {
            k: v for k, v in record.items() if k not in ("employee_id", "team_id", "supervisor_id")
        }
        members.append(
            {
                "employee_id": record["employee_id"],
                "team_id": record["team_id"],
                "supervisor_id": record["supervisor_id"],
                "day": day_fields if record["worked_minutes"] is not None else None,
            }
        )
    return {"work_date": work_date.isoformat(), "members": members}


async def pending_requests(pool: asyncpg.Pool, supervisor_id: str | None) -> dict[str, Any]:
    """Requests awaiting a decision from `supervisor_id` (all of them for hr: None)."""
    rows = await pool.fetch(
        """SELECT q.request_id, q.kind, q.employee_id, q.work_date AS first_day,
                  q.work_date AS last_day, q.target, q.requested_at, q.in_advance, q.reason,
                  NULL AS leave_type
           FROM day_requests q JOIN roster r USING (employee_id)
           WHERE q.status = 'pending' AND ($1::text IS NULL OR r.supervisor_id = $1)
           UNION ALL
           SELECT l.request_id, 'leave', l.employee_id, l.first_day, l.last_day, NULL,
                  l.requested_at, NULL, l.reason, l.leave_type
           FROM leave_requests l JOIN roster r USING (employee_id)
           WHERE l.status = 'pending' AND ($1::text IS NULL OR r.supervisor_id = $1)
           ORDER BY requested_at, request_id""",
        supervisor_id,
    )
    return {"supervisor_id": supervisor_id, "requests": [_jsonable(r) for r in rows]}


async def schedules(pool: asyncpg.Pool, employee_id: str) -> dict[str, Any]:
    rows = await pool.fetch(
        "SELECT schedule_id, effective_from, workdays, starts_at, ends_at, late_grace_minutes, "
        "early_grace_minutes, timezone, assigned_at FROM schedules WHERE employee_id = $1 "
        "ORDER BY assignment",
        employee_id,
    )
    return {"employee_id": employee_id, "schedules": [_jsonable(r) for r in rows]}


async def holidays(pool: asyncpg.Pool, year: int) -> dict[str, Any]:
    rows = await pool.fetch(
        "SELECT holiday_date, name FROM holidays WHERE holiday_date BETWEEN $1 AND $2 "
        "ORDER BY holiday_date",
        date(year, 1, 1),
        date(year, 12, 31),
    )
    return {"year": year, "holidays": [_jsonable(r) for r in rows]}
