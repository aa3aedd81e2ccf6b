"""Reads of the roster and calendar read models, shaped for the domain (`EmployeeCalendar`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from daybook_reporting.domain.access import Caller, Member
from daybook_reporting.domain.calendar import EmployeeCalendar, WorkSchedule
from daybook_shared.errors import Forbidden, NotFound

# Deadlines look ahead for the next working day; load holidays and leave that far.
_LOOKAHEAD = timedelta(days=400)


@dataclass(frozen=True)
class RosterEntry:
    employee_id: str
    team_id: str
    supervisor_id: str | None
    role: str
    timezone: str
    hired_on: date
    left_on: date | None

    @property
    def member(self) -> Member:
        return Member(self.employee_id, self.supervisor_id)


async def roster_entry(
    conn: asyncpg.Connection | asyncpg.Pool, employee_id: str
) -> RosterEntry | None:
    row = await conn.fetchrow(
        "SELECT employee_id, team_id, supervisor_id, role, timezone, hired_on, left_on "
        "FROM roster WHERE employee_id = $1",
        employee_id,
    )
    return RosterEntry(**dict(row)) if row else None


async def require_entry(conn: asyncpg.Connection | asyncpg.Pool, employee_id: str) -> RosterEntry:
    entry = await roster_entry(conn, employee_id)
    if entry is None:
        raise NotFound(f"employee {employee_id} is not on the roster", field="employee_id")
    return entry


async def visible_entry(
    conn: asyncpg.Connection | asyncpg.Pool, caller: Caller, employee_id: str
) -> RosterEntry:
    """The entry the caller asks about; an unknown employee is 404 only to those who may know."""
    entry = await roster_entry(conn, employee_id)
    if entry is None:
        if caller.role == "hr" or caller.employee_id == employee_id:
            raise NotFound(f"employee {employee_id} is not on the roster", field="employee_id")
        raise Forbidden(
            f"{caller.employee_id or caller.role} may not read the reporting of {employee_id}",
            field="employee_id",
        )
    return entry


async def team_of(conn: asyncpg.Connection | asyncpg.Pool, supervisor_id: str) -> list[RosterEntry]:
    rows = await conn.fetch(
        "SELECT employee_id, team_id, supervisor_id, role, timezone, hired_on, left_on "
        "FROM roster WHERE supervisor_id = $1 ORDER BY employee_id",
        supervisor_id,
    )
    return [RosterEntry(**dict(row)) for row in rows]


async def load_calendar(
    conn: asyncpg.Connection | asyncpg.Pool, entry: RosterEntry, first: date, last: date
) -> EmployeeCalendar:
    """The employee's calendar, complete for `first` to `last` and the look-ahead after it.

    The timezone is that of the schedule in force on `last` (attendance evaluates days in it),
    or the roster's when no schedule is assigned.
    """
    until = last + _LOOKAHEAD
    schedule_rows = await conn.fetch(
        "SELECT effective_from, workdays, starts_at, ends_at, timezone FROM work_schedules "
        "WHERE employee_id = $1 ORDER BY effective_from",
        entry.employee_id,
    )
    holiday_rows = await conn.fetch(
        "SELECT holiday_date FROM holidays WHERE holiday_date BETWEEN $1 AND $2 "
        "AND declared_at IS NOT NULL "
        "AND (cancelled_at IS NULL OR declared_at > cancelled_at)",
        first,
        until,
    )
    leave_rows = await conn.fetch(
        "SELECT first_day, last_day FROM approved_leave "
        "WHERE employee_id = $1 AND last_day >= $2 AND first_day <= $3",
        entry.employee_id,
        first,
        until,
    )
    timezone = entry.timezone
    for row in schedule_rows:
        if row["effective_from"] <= last:
            timezone = row["timezone"]
    leave_days: set[date] = set()
    for row in leave_rows:
        day = max(row["first_day"], first)
        while day <= min(row["last_day"], until):
            leave_days.add(day)
            day += timedelta(days=1)
    return EmployeeCalendar(
        employee_id=entry.employee_id,
        timezone=timezone,
        employed_from=entry.hired_on,
        employed_until=entry.left_on,
        schedules=tuple(
            (
                row["effective_from"],
                WorkSchedule(frozenset(row["workdays"]), row["starts_at"], row["ends_at"]),
            )
            for row in schedule_rows
        ),
        holidays=frozenset(row["holiday_date"] for row in holiday_rows),
        leave_days=frozenset(leave_days),
    )
