"""Read-model queries: an employee's reports, goals, research and development; a team's day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import reduce
from typing import Any
from uuid import UUID

import asyncpg

from daybook_reporting.domain import daily_reports, goals
from daybook_reporting.roster import RosterEntry, load_calendar, team_of
from daybook_reporting.settings import ReportingConfig
from daybook_shared.errors import NotFound
from daybook_shared.kit.eventstore import EventStore


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    """A row as JSON-able values (dates and times ISO, decimals as strings, ids as text)."""
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if isinstance(value, Decimal | UUID):
            out[key] = str(value)
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = list(value)
        else:
            out[key] = value
    return out


def _report_status(row: asyncpg.Record | None) -> str:
    """on_time, late, missed (nothing came by the deadline), excused (a missed record withdrawn:
    the day turned out not to be a working day), or missing (nothing yet, not yet due)."""
    if row is not None and row["missed_withdrawn"]:
        return "excused"
    if row is None or row["revision"] == 0:
        return "missed" if row is not None and row["missed"] else "missing"
    return "on_time" if row["on_time"] else "late"


async def daily_reports_of(
    pool: asyncpg.Pool, employee_id: str, first: date | None, last: date | None
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """
        SELECT * FROM daily_reports
        WHERE employee_id = $1
          AND ($2::date IS NULL OR report_date >= $2) AND ($3::date IS NULL OR report_date <= $3)
        ORDER BY report_date DESC
        """,
        employee_id,
        first,
        last,
    )
    return [{**_plain(row), "status": _report_status(row)} for row in rows]


async def daily_report_history(
    store: EventStore, employee_id: str, report_date: date
) -> dict[str, Any]:
    """R-A2: every revision, the missed record and the reviews of one day's report."""
    events = await store.load(daily_reports.daily_report_stream(employee_id, report_date))
    if not events:
        raise NotFound(
            f"{employee_id} has no report and no missed record for {report_date.isoformat()}",
            field="report_date",
        )
    state = reduce(daily_reports.evolve, (e.payload for e in events), daily_reports.DailyReport())
    return {
        "employee_id": employee_id,
        "report_date": report_date.isoformat(),
        "revisions": [r.model_dump(mode="json") for r in state.revisions],
        "missed": state.missed.model_dump(mode="json") if state.missed else None,
        "missed_withdrawn": state.withdrawal.model_dump(mode="json") if state.withdrawal else None,
        "reviews": [r.model_dump(mode="json") for r in state.reviews],
    }


def coverage_answer(state: goals.Target) -> dict[str, Any]:
    check = goals.coverage(state)
    return {
        "target_value": str(check.target_value),
        "allocated": str(check.allocated),
        "shortfall": str(check.shortfall),
        "covered": check.covered,
        "goal_count": check.goal_count,
    }


async def target_state(store: EventStore, target_id: UUID) -> goals.Target:
    events = await store.load(goals.target_stream(target_id))
    state = reduce(goals.evolve_target, (e.payload for e in events), goals.Target())
    if state.target is None:
        raise NotFound(f"unknown target {target_id}", field="target_id")
    return state


def target_overview(state: goals.Target) -> dict[str, Any]:
    """R-A3: the target, the goals derived from it, and whether they cover it."""
    assert state.target is not None
    return {
        "target": state.target.model_dump(mode="json"),
        "goals": [goal.model_dump(mode="json") for goal in state.goals.values()],
        "coverage": coverage_answer(state),
    }


_GOALS = """
    SELECT g.goal_id, g.target_id, g.employee_id, g.team_id, g.metric, g.amount, g.currency,
           g.count, g.cadence, g.period_start, g.period_end, g.revision,
           COALESCE(g.amount, g.count) AS goal_value,
           COALESCE(p.achieved, 0) AS achieved,
           COALESCE(p.reported, 0) AS periods_reported,
           COALESCE(p.missed, 0) AS periods_missed
    FROM goals g
    LEFT JOIN (
        SELECT goal_id, sum(achieved) AS achieved, count(*) FILTER (WHERE reported) AS reported,
               count(*) FILTER (WHERE missed AND NOT reported) AS missed
        FROM goal_progress GROUP BY goal_id
    ) p USING (goal_id)
"""


def _goal_answer(row: asyncpg.Record) -> dict[str, Any]:
    goal_value = Decimal(row["goal_value"])
    achieved = Decimal(row["achieved"])
    attainment = (achieved / goal_value).quantize(Decimal("0.0001")) if goal_value else None
    return {**_plain(row), "attainment": str(attainment) if attainment is not None else None}


async def goals_of(pool: asyncpg.Pool, employee_id: str) -> list[dict[str, Any]]:
    """R-A3: the employee's goals, each with its progress periods and attainment so far.

    `achieved` sums the values reported per period (each report gives that period's value).
    """
    rows = await pool.fetch(
        _GOALS + " WHERE g.employee_id = $1 ORDER BY g.period_start", employee_id
    )
    progress = await pool.fetch(
        "SELECT * FROM goal_progress WHERE employee_id = $1 ORDER BY period_start", employee_id
    )
    by_goal: dict[UUID, list[dict[str, Any]]] = {}
    for row in progress:
        by_goal.setdefault(row["goal_id"], []).append(_plain(row))
    return [{**_goal_answer(row), "progress": by_goal.get(row["goal_id"], [])} for row in rows]


async def goal_owner(pool: asyncpg.Pool, goal_id: UUID) -> str | None:
    return await pool.fetchval("SELECT employee_id FROM goals WHERE goal_id = $1", goal_id)


async def market_reports_of(pool: asyncpg.Pool, employee_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT * FROM market_reports WHERE employee_id = $1 ORDER BY submitted_at DESC",
        employee_id,
    )
    return [_plain(row) for row in rows]


async def development_of(pool: asyncpg.Pool, employee_id: str) -> dict[str, Any]:
    """R-A6, R-B5: the log, with hours per kind and the certifications held."""
    rows = await pool.fetch(
        "SELECT * FROM development_log WHERE employee_id = $1 ORDER BY on_date DESC, title",
        employee_id,
    )
    hours: dict[str, Decimal] = {}
    for row in rows:
        if row["hours"] is not None:
            hours[row["kind"]] = hours.get(row["kind"], Decimal(0)) + row["hours"]
    return {
        "employee_id": employee_id,
        "entries": [_plain(row) for row in rows],
        "hours_by_kind": {kind: str(total) for kind, total in sorted(hours.items())},
        "certifications": sum(1 for row in rows if row["kind"] == "certification"),
    }


async def team_view(
    pool: asyncpg.Pool,
    config: ReportingConfig,
    supervisor: RosterEntry | None,
    supervisor_id: str,
    day: date,
) -> dict[str, Any]:
    """R-A2, R-A3: the supervisor's inbox for a day and the team's goals against their targets.

    Every direct report appears once: whether a report was due that day (and why not), its status
    (on_time, late, missed, missing), the report itself, and the review count.
    """
    members = await team_of(pool, supervisor_id)
    ids = [m.employee_id for m in members]
    report_rows = {
        row["employee_id"]: row
        for row in await pool.fetch(
            "SELECT * FROM daily_reports WHERE employee_id = ANY($1) AND report_date = $2",
            ids,
            day,
        )
    }
    inbox: list[dict[str, Any]] = []
    missing: list[str] = []
    for member in members:
        calendar = await load_calendar(pool, member, day, day)
        status = calendar.status(day)
        row = report_rows.get(member.employee_id)
        if status != "working" or not config.demands_daily_report(member.role):
            reason = status if status != "working" else "not_required_of_role"
            inbox.append(
                {
                    "employee_id": member.employee_id,
                    "due": False,
                    "reason": reason,
                    "report": _plain(row) if row is not None and row["revision"] else None,
                }
            )
            continue
        deadline = row["deadline"] if row else config.daily_deadline.deadline(calendar, day)
        report_status = _report_status(row)
        if report_status in ("missing", "missed"):
            missing.append(member.employee_id)
        inbox.append(
            {
                "employee_id": member.employee_id,
                "due": True,
                "deadline": deadline.isoformat(),
                "status": report_status,
                "report": _plain(row) if row is not None and row["revision"] else None,
            }
        )
    goal_rows = await pool.fetch(
        _GOALS + " WHERE g.employee_id = ANY($1) AND g.period_start <= $2 AND g.period_end >= $2 "
        "ORDER BY g.target_id, g.employee_id",
        ids,
        day,
    )
    teams = sorted({m.team_id for m in members} | ({supervisor.team_id} if supervisor else set()))
    target_rows = await pool.fetch(
        """
        SELECT t.target_id, t.team_id, t.metric, t.currency, t.period_start, t.period_end,
               COALESCE(t.amount, t.count) AS target_value,
               COALESCE((SELECT sum(COALESCE(g.amount, g.count)) FROM goals g
                         WHERE g.target_id = t.target_id), 0) AS allocated
        FROM targets t
        WHERE (t.team_id IS NULL OR t.team_id = ANY($1))
          AND t.period_start <= $2 AND t.period_end >= $2
        ORDER BY t.period_start, t.target_id
        """,
        teams,
        day,
    )
    targets = []
    for row in target_rows:
        shortfall = max(Decimal(row["target_value"]) - Decimal(row["allocated"]), Decimal(0))
        targets.append({**_plain(row), "shortfall": str(shortfall), "covered": shortfall == 0})
    return {
        "supervisor_id": supervisor_id,
        "date": day.isoformat(),
        "members": inbox,
        "missing": missing,
        "goals": [_goal_answer(row) for row in goal_rows],
        "targets": targets,
    }
