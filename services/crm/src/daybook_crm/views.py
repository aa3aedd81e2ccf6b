"""Read-model queries, and the access audit of every read of customer data (R-B3.4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import asyncpg

from daybook_crm.application import Caller, may_act, roster_entry
from daybook_shared.errors import Forbidden, NotFound

AuditAction = Literal["read_customer", "list_customers", "export_customers"]


async def audit(
    pool: asyncpg.Pool,
    caller: Caller,
    *,
    action: AuditAction,
    target: str,
    allowed: bool,
    at: datetime,
    record_count: int = 0,
    correlation_id: str | None = None,
) -> None:
    """Record who read or exported what, and when, in its own transaction: a refused attempt
    is kept although the request fails."""
    await pool.execute(
        """INSERT INTO access_audit (at, actor_subject, actor_role, actor_employee_id, action,
                                     target, outcome, record_count, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        at,
        caller.subject,
        caller.role,
        caller.employee_id,
        action,
        target,
        "allowed" if allowed else "denied",
        record_count,
        correlation_id,
    )


async def visible_employees(conn: asyncpg.Connection, caller: Caller) -> list[str] | None:
    """The employees whose work the caller may see; None means everyone (hr)."""
    if caller.role == "hr":
        return None
    if caller.employee_id is None or caller.role not in {"employee", "supervisor"}:
        return []
    if caller.role == "employee":
        return [caller.employee_id]
    own = await roster_entry(conn, caller.employee_id)
    rows = await conn.fetch(
        "SELECT employee_id FROM roster WHERE supervisor_id = $1 OR team_id = $2",
        caller.employee_id,
        own.team_id if own else None,
    )
    return sorted({caller.employee_id, *(r["employee_id"] for r in rows)})


async def scope(
    conn: asyncpg.Connection, caller: Caller, employee_id: str | None, team_id: str | None = None
) -> list[str] | None:
    """Employees a query covers: the one asked for (if the caller may see them), a team, or
    all the caller may see."""
    if employee_id is not None:
        if not await may_act(conn, caller, employee_id):
            raise Forbidden(
                f"{caller.subject} may not see the work of {employee_id!r}", field="employee_id"
            )
        return [employee_id]
    visible = await visible_employees(conn, caller)
    if team_id is None:
        return visible
    members = [
        r["employee_id"]
        for r in await conn.fetch("SELECT employee_id FROM roster WHERE team_id = $1", team_id)
    ]
    if visible is None:
        return members
    if not set(members) <= set(visible) or not members:
        raise Forbidden(f"{caller.subject} may not see team {team_id!r}", field="team_id")
    return members


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def customer_details(conn: asyncpg.Connection, customer_id: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT customer_id, owner_id, details, completeness, source, registered_at,
                  last_maintained_at
           FROM customers WHERE customer_id = $1""",
        customer_id,
    )
    if row is None:
        raise NotFound(f"no customer {customer_id!r}", field="customer_id")
    interactions = await conn.fetch(
        """SELECT interaction_id, employee_id, channel, occurred_at, duration_minutes, notes
           FROM interactions WHERE customer_id = $1 ORDER BY occurred_at DESC LIMIT 20""",
        customer_id,
    )
    return {
        "customer_id": row["customer_id"],
        "owner_employee_id": row["owner_id"],
        "details": row["details"],
        "completeness": row["completeness"],
        "source": row["source"],
        "registered_at": _iso(row["registered_at"]),
        "last_maintained_at": _iso(row["last_maintained_at"]),
        "recent_interactions": [
            {**dict(i), "occurred_at": _iso(i["occurred_at"])} for i in interactions
        ],
    }


async def owner_of(conn: asyncpg.Connection, customer_id: str) -> str | None:
    owner: str | None = await conn.fetchval(
        "SELECT owner_id FROM customers WHERE customer_id = $1", customer_id
    )
    return owner


async def customers_of(
    conn: asyncpg.Connection, employees: Sequence[str] | None, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT customer_id, owner_id, details->>'name' AS name, completeness,
                  last_maintained_at
           FROM customers
           WHERE $1::text[] IS NULL OR owner_id = ANY($1::text[])
           ORDER BY owner_id, customer_id LIMIT $2 OFFSET $3""",
        employees,
        limit,
        offset,
    )
    return [
        {
            "customer_id": r["customer_id"],
            "owner_employee_id": r["owner_id"],
            "name": r["name"],
            "completeness": r["completeness"],
            "last_maintained_at": _iso(r["last_maintained_at"]),
        }
        for r in rows
    ]


async def export_rows(
    conn: asyncpg.Connection, employees: Sequence[str] | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT customer_id, owner_id, details, completeness, last_maintained_at
           FROM customers
           WHERE $1::text[] IS NULL OR owner_id = ANY($1::text[])
           ORDER BY owner_id, customer_id""",
        employees,
    )


async def open_inquiries(
    conn: asyncpg.Connection, employees: Sequence[str] | None, now: datetime
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT inquiry_id, customer_id, employee_id, channel, received_at, respond_by,
                  overdue_recorded
           FROM inquiries
           WHERE responded_at IS NULL AND ($1::text[] IS NULL OR employee_id = ANY($1::text[]))
           ORDER BY respond_by, inquiry_id""",
        employees,
    )
    return [
        {
            "inquiry_id": r["inquiry_id"],
            "customer_id": r["customer_id"],
            "employee_id": r["employee_id"],
            "channel": r["channel"],
            "received_at": _iso(r["received_at"]),
            "respond_by": _iso(r["respond_by"]),
            "overdue": r["respond_by"] < now,
            "overdue_recorded": r["overdue_recorded"],
        }
        for r in rows
    ]


async def open_complaints(
    conn: asyncpg.Connection, employees: Sequence[str] | None, now: datetime
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT complaint_id, customer_id, employee_id, kind, severity, filed_at, resolve_by,
                  overdue_recorded
           FROM complaints
           WHERE resolved_at IS NULL AND ($1::text[] IS NULL OR employee_id = ANY($1::text[]))
           ORDER BY resolve_by, complaint_id""",
        employees,
    )
    return [
        {
            "complaint_id": r["complaint_id"],
            "customer_id": r["customer_id"],
            "employee_id": r["employee_id"],
            "kind": r["kind"],
            "severity": r["severity"],
            "filed_at": _iso(r["filed_at"]),
            "resolve_by": _iso(r["resolve_by"]),
            "overdue": r["resolve_by"] < now,
            "overdue_recorded": r["overdue_recorded"],
        }
        for r in rows
    ]


async def pipeline(conn: asyncpg.Connection, employees: Sequence[str] | None) -> dict[str, Any]:
    """Open deals by stage (count and expected value per currency), and what was won and lost."""
    stages = await conn.fetch(
        """SELECT stage, count(*) AS deals, expected_currency AS currency,
                  sum(expected_amount) AS expected
           FROM deals
           WHERE status = 'open' AND ($1::text[] IS NULL OR employee_id = ANY($1::text[]))
           GROUP BY stage, expected_currency ORDER BY stage, expected_currency""",
        employees,
    )
    closed = await conn.fetch(
        """SELECT status, count(*) AS deals, won_currency AS currency, sum(won_amount) AS amount
           FROM deals
           WHERE status <> 'open' AND ($1::text[] IS NULL OR employee_id = ANY($1::text[]))
           GROUP BY status, won_currency ORDER BY status, won_currency""",
        employees,
    )
    deals = await conn.fetch(
        """SELECT deal_id, customer_id, employee_id, stage, status, expected_amount,
                  expected_currency, won_amount, won_currency, lost_reason, opened_at, closed_at
           FROM deals
           WHERE status = 'open' AND ($1::text[] IS NULL OR employee_id = ANY($1::text[]))
           ORDER BY opened_at, deal_id""",
        employees,
    )
    return {
        "open_by_stage": [
            {
                "stage": r["stage"],
                "deals": r["deals"],
                "expected": _money(r["expected"], r["currency"]),
            }
            for r in stages
        ],
        "closed": [
            {
                "status": r["status"],
                "deals": r["deals"],
                "amount": _money(r["amount"], r["currency"]),
            }
            for r in closed
        ],
        "open_deals": [
            {
                "deal_id": r["deal_id"],
                "customer_id": r["customer_id"],
                "employee_id": r["employee_id"],
                "stage": r["stage"],
                "expected_amount": _money(r["expected_amount"], r["expected_currency"]),
                "opened_at": _iso(r["opened_at"]),
            }
            for r in deals
        ],
    }


def _money(amount: Any, currency: str | None) -> dict[str, str] | None:
    if amount is None or currency is None:
        return None
    return {"amount": str(amount), "currency": currency}


async def audit_log(
    conn: asyncpg.Connection,
    *,
    actor: str | None,
    target: str | None,
    since: datetime | None,
    until: datetime | None,
    outcome: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, at, actor_subject, actor_role, actor_employee_id, action, target, outcome,
                  record_count, correlation_id
           FROM access_audit
           WHERE ($1::text IS NULL OR actor_subject = $1 OR actor_employee_id = $1)
             AND ($2::text IS NULL OR target = $2)
             AND ($3::timestamptz IS NULL OR at >= $3)
             AND ($4::timestamptz IS NULL OR at < $4)
             AND ($5::text IS NULL OR outcome = $5)
           ORDER BY at DESC, id DESC LIMIT $6""",
        actor,
        target,
        since,
        until,
        outcome,
        limit,
    )
    return [{**dict(r), "at": _iso(r["at"])} for r in rows]
