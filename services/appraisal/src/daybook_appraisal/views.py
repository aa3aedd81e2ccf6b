"""Read-model queries, shaped for the domain (facts, roster entries, periods)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from daybook_appraisal.domain.facts import KINDS, Fact, FactKind, Window
from daybook_appraisal.domain.roster import RosterEntry
from daybook_shared.errors import NotFound

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool

# A fact's coarse `day` is its UTC date; its business date in any timezone is within a day of it.
MARGIN = timedelta(days=1)

_FACT_COLUMNS = (
    "employee_id, event_id, kind, event_type, occurred_at, on_date, attributed_at, until, value, "
    "unit, key, revision, grade"
)


def _fact(row: asyncpg.Record) -> Fact:
    return Fact(
        event_id=row["event_id"],
        event_type=row["event_type"],
        kind=FactKind(row["kind"]),
        employee_id=row["employee_id"],
        occurred_at=row["occurred_at"],
        on_date=row["on_date"],
        attributed_at=row["attributed_at"],
        until=row["until"],
        value=row["value"],
        unit=row["unit"],
        key=row["key"],
        revision=row["revision"],
        grade=row["grade"],
    )


def unbounded_kinds(extra: Iterable[FactKind] = ()) -> list[str]:
    """Kinds read back to the beginning: standing facts, and those named in `extra`."""
    standing = {kind.value for kind, info in KINDS.items() if info.standing}
    return sorted(standing | {kind.value for kind in extra})


async def facts_for(
    db: Db,
    generation: int,
    employee_ids: Sequence[str],
    since: date,
    until: date,
    unbounded: Sequence[str],
) -> dict[str, list[Fact]]:
    """Each employee's facts that can count between `since` and `until` (with a day's margin
    each side): dated inside, spanning into it, or of an unbounded kind dated before its end."""
    rows = await db.fetch(
        f"""
        SELECT {_FACT_COLUMNS} FROM facts
        WHERE generation = $1 AND employee_id = ANY($2::text[]) AND day <= $4
          AND (day >= $3 OR until >= $3 OR kind = ANY($5::text[]))
        """,
        generation,
        list(employee_ids),
        since - MARGIN,
        until + MARGIN,
        list(unbounded),
    )
    found: dict[str, list[Fact]] = {employee_id: [] for employee_id in employee_ids}
    for row in rows:
        found[row["employee_id"]].append(_fact(row))
    return found


async def facts_by_ids(
    db: Db, generation: int, employee_id: str, event_ids: Sequence[UUID]
) -> list[Fact]:
    rows = await db.fetch(
        f"SELECT {_FACT_COLUMNS} FROM facts WHERE generation = $1 AND employee_id = $2 "
        "AND event_id = ANY($3::uuid[])",
        generation,
        employee_id,
        list(event_ids),
    )
    return [_fact(row) for row in rows]


_ROSTER_COLUMNS = (
    "employee_id, display_name, team_id, supervisor_id, role, timezone, hired_on, left_on"
)


def _entry(row: asyncpg.Record) -> RosterEntry:
    return RosterEntry(**dict(row))


async def roster_entry(db: Db, generation: int, employee_id: str) -> RosterEntry | None:
    row = await db.fetchrow(
        f"SELECT {_ROSTER_COLUMNS} FROM roster WHERE generation = $1 AND employee_id = $2",
        generation,
        employee_id,
    )
    return _entry(row) if row else None


async def roster(
    db: Db,
    generation: int,
    *,
    supervisor_id: str | None = None,
    team_id: str | None = None,
) -> list[RosterEntry]:
    """The roster, or a supervisor's direct reports, or one team's members."""
    rows = await db.fetch(
        f"""
        SELECT {_ROSTER_COLUMNS} FROM roster
        WHERE generation = $1 AND ($2::text IS NULL OR supervisor_id = $2)
          AND ($3::text IS NULL OR team_id = $3)
        ORDER BY employee_id
        """,
        generation,
        supervisor_id,
        team_id,
    )
    return [_entry(row) for row in rows]


async def period_row(db: Db, period_id: str) -> dict[str, Any]:
    row = await db.fetchrow("SELECT * FROM periods WHERE period_id = $1", period_id)
    if row is None:
        raise NotFound(f"no appraisal period {period_id}", field="period_id")
    return dict(row)


async def periods(db: Db) -> list[dict[str, Any]]:
    return [dict(row) for row in await db.fetch("SELECT * FROM periods ORDER BY starts_on")]


async def period_windows(db: Db) -> list[tuple[str, Window]]:
    return [
        (row["period_id"], Window(row["starts_on"], row["ends_on"]))
        for row in await db.fetch("SELECT period_id, starts_on, ends_on FROM periods")
    ]


async def appraisal_rows(
    db: Db, period_id: str, employee_ids: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM appraisals WHERE period_id = $1 "
        "AND ($2::text[] IS NULL OR employee_id = ANY($2::text[]))",
        period_id,
        list(employee_ids) if employee_ids is not None else None,
    )
    return {row["employee_id"]: dict(row) for row in rows}


async def actions_of(
    db: Db, employee_id: str, period_id: str | None = None
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """
        SELECT a.*, p.reason AS appeal_reason, p.filed_at AS appeal_filed_at,
               p.decision_reason AS appeal_decision_reason, p.decided_at AS appeal_decided_at
        FROM actions a LEFT JOIN appeals p ON p.appeal_id = a.appeal_id
        WHERE a.employee_id = $1 AND ($2::text IS NULL OR a.period_id = $2)
        ORDER BY a.incident_at, a.action_id
        """,
        employee_id,
        period_id,
    )
    return [dict(row) for row in rows]


async def action_owner(db: Db, action_id: UUID) -> str:
    employee_id = await db.fetchval(
        "SELECT employee_id FROM actions WHERE action_id = $1", action_id
    )
    if employee_id is None:
        raise NotFound(f"no disciplinary action {action_id}", field="action_id")
    return str(employee_id)


async def appeal_row(db: Db, appeal_id: UUID) -> dict[str, Any]:
    row = await db.fetchrow("SELECT * FROM appeals WHERE appeal_id = $1", appeal_id)
    if row is None:
        raise NotFound(f"no appeal {appeal_id}", field="appeal_id")
    return dict(row)


async def appeals(db: Db, *, undecided_only: bool) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM appeals WHERE NOT $1 OR decision IS NULL ORDER BY filed_at",
        undecided_only,
    )
    return [dict(row) for row in rows]


async def pinned_policy_text(db: Db, version: str, sha256: str) -> str:
    document = await db.fetchval(
        "SELECT document FROM pinned_policies WHERE policy_version = $1 AND sha256 = $2",
        version,
        sha256,
    )
    if document is None:
        raise NotFound(
            f"the text of policy {version} ({sha256[:12]}) is not stored", field="policy_version"
        )
    return str(document)


async def generations(db: Db) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in await db.fetch("SELECT * FROM projection_generations ORDER BY generation")
    ]
