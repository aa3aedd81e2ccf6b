"""Read models: the roster, fed from the hr stream, and crm's own views, kept in step with
every command (inline, in the command's transaction) so a caller reads what it just wrote."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from daybook_shared.contracts import Event
from daybook_shared.contracts.crm import (
    ComplaintFiled,
    ComplaintOverdue,
    ComplaintResolved,
    ConductBreachReported,
    CustomerReassigned,
    CustomerRecordUpdated,
    CustomerRegistered,
    DealLost,
    DealOpened,
    DealStageChanged,
    DealWon,
    GiftDeclared,
    InquiryOverdue,
    InquiryReceived,
    InquiryResponded,
    InteractionLogged,
    SatisfactionRated,
)
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred


class RosterProjection:
    """Who works where, from `hr.>`: owners, supervisors and their timezones.

    Each row remembers the hr fact it reflects (business time, then stream version) and ignores
    an older one, so redelivered or out-of-order facts (replicas sharing the consumer) never
    roll the roster back.
    """

    name: str = "crm_roster_v1"
    contexts: Sequence[str] = ("hr",)

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None:
        payload = event.payload
        at, version = event.occurred_at, event.envelope.stream_version
        match payload:
            case EmployeeHired():
                await conn.execute(
                    """INSERT INTO roster (employee_id, team_id, supervisor_id, role, timezone,
                                           active, as_of, as_of_version)
                       VALUES ($1, $2, $3, $4, $5, true, $6, $7)
                       ON CONFLICT (employee_id) DO UPDATE SET
                           team_id = EXCLUDED.team_id, supervisor_id = EXCLUDED.supervisor_id,
                           role = EXCLUDED.role, timezone = EXCLUDED.timezone, active = true,
                           as_of = EXCLUDED.as_of, as_of_version = EXCLUDED.as_of_version
                       WHERE (roster.as_of, roster.as_of_version) < (EXCLUDED.as_of,
                                                                     EXCLUDED.as_of_version)""",
                    payload.employee_id,
                    payload.team_id,
                    payload.supervisor_id,
                    payload.role,
                    payload.timezone,
                    at,
                    version,
                )
            case EmployeeTransferred():
                await conn.execute(
                    """UPDATE roster SET team_id = $2, supervisor_id = $3,
                              role = coalesce($4, role), timezone = coalesce($5, timezone),
                              as_of = $6, as_of_version = $7
                       WHERE employee_id = $1 AND (as_of, as_of_version) < ($6, $7)""",
                    payload.employee_id,
                    payload.team_id,
                    payload.supervisor_id,
                    payload.role,
                    payload.timezone,
                    at,
                    version,
                )
            case EmployeeLeft():
                await conn.execute(
                    """UPDATE roster SET active = false, as_of = $2, as_of_version = $3
                       WHERE employee_id = $1 AND (as_of, as_of_version) < ($2, $3)""",
                    payload.employee_id,
                    at,
                    version,
                )


async def apply_own(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """Bring crm's views up to date with events just appended (same transaction)."""
    for event in events:
        await _apply_own(conn, event)


async def _apply_own(conn: asyncpg.Connection, event: Event) -> None:
    p, at = event.payload, event.occurred_at
    match p:
        case CustomerRegistered():
            # The details are not in the event (R-B3.4): the command writes them beside it.
            await conn.execute(
                """INSERT INTO customers (customer_id, owner_id, details, completeness, source,
                                         registered_at, last_maintained_at)
                   VALUES ($1, $2, '{}'::jsonb, $3, $4, $5, $5)
                   ON CONFLICT (customer_id) DO UPDATE SET owner_id = EXCLUDED.owner_id,
                       completeness = EXCLUDED.completeness, source = EXCLUDED.source,
                       registered_at = EXCLUDED.registered_at""",
                p.customer_id,
                p.employee_id,
                p.completeness,
                p.source,
                at,
            )
        case CustomerRecordUpdated():
            await conn.execute(
                """UPDATE customers SET completeness = $2,
                          last_maintained_at = greatest(last_maintained_at, $3)
                   WHERE customer_id = $1""",
                p.customer_id,
                p.completeness,
                at,
            )
        case CustomerReassigned():
            await conn.execute(
                """UPDATE customers SET owner_id = $2,
                          last_maintained_at = greatest(last_maintained_at, $3)
                   WHERE customer_id = $1""",
                p.customer_id,
                p.employee_id,
                at,
            )
        case InteractionLogged():
            await conn.execute(
                """INSERT INTO interactions (interaction_id, customer_id, employee_id, channel,
                                             occurred_at, duration_minutes)
                   VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (interaction_id) DO NOTHING""",
                p.interaction_id,
                p.customer_id,
                p.employee_id,
                p.channel,
                at,
                p.duration_minutes,
            )
            await conn.execute(
                """UPDATE customers SET last_maintained_at = greatest(last_maintained_at, $2)
                   WHERE customer_id = $1""",
                p.customer_id,
                at,
            )
        case InquiryReceived():
            await conn.execute(
                """INSERT INTO inquiries (inquiry_id, customer_id, employee_id, channel,
                                          received_at, respond_by)
                   VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (inquiry_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
                       employee_id = EXCLUDED.employee_id, channel = EXCLUDED.channel,
                       received_at = EXCLUDED.received_at, respond_by = EXCLUDED.respond_by""",
                p.inquiry_id,
                p.customer_id,
                p.employee_id,
                p.channel,
                p.received_at,
                p.respond_by,
            )
        case InquiryResponded():
            await conn.execute(
                """UPDATE inquiries SET responded_at = $2, within_deadline = $3
                   WHERE inquiry_id = $1""",
                p.inquiry_id,
                p.responded_at,
                p.within_deadline,
            )
        case InquiryOverdue():
            await conn.execute(
                "UPDATE inquiries SET overdue_recorded = true WHERE inquiry_id = $1",
                p.inquiry_id,
            )
        case ComplaintFiled():
            await conn.execute(
                """INSERT INTO complaints (complaint_id, customer_id, employee_id, kind, severity,
                                           filed_at, resolve_by)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (complaint_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
                       employee_id = EXCLUDED.employee_id, kind = EXCLUDED.kind,
                       severity = EXCLUDED.severity, filed_at = EXCLUDED.filed_at,
                       resolve_by = EXCLUDED.resolve_by""",
                p.complaint_id,
                p.customer_id,
                p.employee_id,
                p.kind,
                p.severity,
                p.filed_at,
                p.resolve_by,
            )
        case ComplaintResolved():
            await conn.execute(
                """UPDATE complaints SET resolved_at = $2, outcome = $3, within_deadline = $4
                   WHERE complaint_id = $1""",
                p.complaint_id,
                p.resolved_at,
                p.outcome,
                p.within_deadline,
            )
        case ComplaintOverdue():
            await conn.execute(
                "UPDATE complaints SET overdue_recorded = true WHERE complaint_id = $1",
                p.complaint_id,
            )
        case DealOpened():
            expected = p.expected_amount
            await conn.execute(
                """INSERT INTO deals (deal_id, customer_id, employee_id, stage, status,
                                      expected_amount, expected_currency, opened_at)
                   VALUES ($1, $2, $3, $4, 'open', $5, $6, $7)
                   ON CONFLICT (deal_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
                       employee_id = EXCLUDED.employee_id, stage = EXCLUDED.stage,
                       expected_amount = EXCLUDED.expected_amount,
                       expected_currency = EXCLUDED.expected_currency,
                       opened_at = EXCLUDED.opened_at""",
                p.deal_id,
                p.customer_id,
                p.employee_id,
                p.stage,
                expected.amount if expected else None,
                expected.currency if expected else None,
                at,
            )
        case DealStageChanged():
            expected = p.expected_amount
            await conn.execute(
                """UPDATE deals SET stage = $2, expected_amount = $3, expected_currency = $4
                   WHERE deal_id = $1""",
                p.deal_id,
                p.stage,
                expected.amount if expected else None,
                expected.currency if expected else None,
            )
        case DealWon():
            await conn.execute(
                """UPDATE deals SET status = 'won', won_amount = $2, won_currency = $3,
                          closed_at = $4
                   WHERE deal_id = $1""",
                p.deal_id,
                p.amount.amount,
                p.amount.currency,
                at,
            )
        case DealLost():
            await conn.execute(
                """UPDATE deals SET status = 'lost', lost_reason = $2, closed_at = $3
                   WHERE deal_id = $1""",
                p.deal_id,
                p.reason,
                at,
            )
        case SatisfactionRated():
            await conn.execute(
                """INSERT INTO ratings (rating_id, customer_id, employee_id, rating, rated_at)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (rating_id) DO NOTHING""",
                p.rating_id,
                p.customer_id,
                p.employee_id,
                p.rating,
                at,
            )
        case GiftDeclared():
            await conn.execute(
                """INSERT INTO gift_declarations (declaration_id, employee_id, customer_id, kind,
                       decision, value_amount, value_currency, severity, declared_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (declaration_id) DO UPDATE SET severity = EXCLUDED.severity""",
                p.declaration_id,
                p.employee_id,
                p.customer_id,
                p.kind,
                p.decision,
                p.value.amount,
                p.value.currency,
                p.severity,
                at,
            )
        case ConductBreachReported():
            await conn.execute(
                """INSERT INTO conduct_reports (report_id, employee_id, kind, severity,
                       reported_by, reporter_role, occurred_on, customer_id, reported_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (report_id) DO NOTHING""",
                p.report_id,
                p.employee_id,
                p.kind,
                p.severity,
                p.reported_by,
                p.reporter_role,
                p.occurred_on,
                p.customer_id,
                at,
            )
