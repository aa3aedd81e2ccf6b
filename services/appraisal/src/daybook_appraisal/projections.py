"""Read models fed by other contexts' events, and the appraisal's own views.

`FactsProjection` consumes the hr, attendance, reporting and crm streams through the kit's
durable pull consumers (inbox, dead letters, batches) and writes two sets: the facts the appraisal
counts (`domain/translation.py`) and each employee's hr events, folded into the roster. Both are
sets keyed by event id, so a redelivery, a replica sharing the consumer or any order of arrival
leaves the same rows: the projection is order-insensitive by construction.

Rows are kept per generation (`projection_generations`): the live consumer writes into every
generation not retired, so a rebuild's new generation receives what arrives during the rebuild
while its catch-up reads the streams from sequence 1 (see `rebuild.py`).

The appraisal's own events (periods, finalised appraisals, rewards, actions, appeals) update their
views inline, in the transaction that appends them (`apply_own`); `rebuild_own_views` replays the
service's own log into them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from daybook_appraisal.domain.facts import Fact
from daybook_appraisal.domain.roster import HrFact, fold_roster
from daybook_appraisal.domain.translation import COUNTED_EVENT_TYPES, Recorded, facts_from
from daybook_shared.contracts import REGISTRY, Envelope, Event, Payload
from daybook_shared.contracts.appraisal import (
    AppealDecided,
    AppealFiled,
    AppraisalFinalized,
    AppraisalPeriodClosed,
    AppraisalPeriodOpened,
    DisciplinaryActionIssued,
    RewardGranted,
)
from daybook_shared.contracts.hr import HrEvent
from daybook_shared.kit.eventstore import EventStore, Position

CONSUMED_CONTEXTS = ("hr", "attendance", "reporting", "crm")


async def writable_generations(conn: asyncpg.Connection) -> list[int]:
    rows = await conn.fetch(
        "SELECT generation FROM projection_generations WHERE status <> 'retired' "
        "ORDER BY generation"
    )
    return [row["generation"] for row in rows]


async def live_generation(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    generation = await conn.fetchval(
        "SELECT generation FROM projection_generations WHERE status = 'live'"
    )
    assert generation is not None, "migration 0001 makes generation 1 live"
    return int(generation)


class FactsProjection:
    """The facts and the roster, from hr.>, attendance.>, reporting.> and crm.>."""

    name = "appraisal_facts_v1"
    contexts: Sequence[str] = CONSUMED_CONTEXTS
    # The kit acknowledges every other event of these streams without an inbox row.
    event_types = COUNTED_EVENT_TYPES | {m.event_type for m in REGISTRY if m.context == "hr"}

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None:
        await self.apply_batch(conn, [event])

    async def apply_batch(self, conn: asyncpg.Connection, events: Sequence[Event]) -> None:
        await write_events(conn, await writable_generations(conn), events)


def _day(fact: Fact) -> date:
    """A coarse date to range-read by: the business date, else the UTC date of the fact's time."""
    return fact.on_date or (fact.attributed_at or fact.occurred_at).date()


_INSERT_FACTS = """
    INSERT INTO facts (generation, employee_id, event_id, kind, event_type, occurred_at, on_date,
                       attributed_at, until, value, unit, key, revision, grade, day)
    SELECT g, f.* FROM unnest($1::int[]) AS g,
        unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::date[],
               $8::timestamptz[], $9::date[], $10::numeric[], $11::text[], $12::text[],
               $13::int[], $14::text[], $15::date[]) AS f
    ON CONFLICT DO NOTHING
"""

_INSERT_HR = """
    INSERT INTO hr_events (generation, employee_id, event_id, event_type, occurred_at, payload)
    SELECT g, h.* FROM unnest($1::int[]) AS g,
        unnest($2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::jsonb[]) AS h
    ON CONFLICT DO NOTHING
"""


async def write_events(
    conn: asyncpg.Connection, generations: Sequence[int], events: Sequence[Recorded]
) -> None:
    """Add the events' facts and hr events to each generation, and refold touched rosters."""
    if not generations:
        return
    facts = [fact for event in events for fact in facts_from(event)]
    if facts:
        columns = list(zip(*(_fact_row(fact) for fact in facts), strict=True))
        await conn.execute(_INSERT_FACTS, list(generations), *(list(c) for c in columns))
    await write_hr_events(conn, generations, events)


async def copy_events(
    conn: asyncpg.Connection, generation: int, events: Sequence[Recorded]
) -> None:
    """`write_events` for one generation by COPY: faster, but it fails on a fact already there
    (`asyncpg.UniqueViolationError`), when `write_events` is the way."""
    facts = [fact for event in events for fact in facts_from(event)]
    if facts:
        await conn.copy_records_to_table(
            f"facts_g{generation}",
            records=[(generation, *_fact_row(fact)) for fact in facts],
            columns=FACT_COLUMNS,
        )
    await write_hr_events(conn, [generation], events)


FACT_COLUMNS = [
    "generation",
    "employee_id",
    "event_id",
    "kind",
    "event_type",
    "occurred_at",
    "on_date",
    "attributed_at",
    "until",
    "value",
    "unit",
    "key",
    "revision",
    "grade",
    "day",
]


def _fact_row(f: Fact) -> tuple[Any, ...]:
    return (
        f.employee_id,
        f.event_id,
        f.kind.value,
        f.event_type,
        f.occurred_at,
        f.on_date,
        f.attributed_at,
        f.until,
        f.value,
        f.unit,
        f.key,
        f.revision,
        f.grade,
        _day(f),
    )


async def write_hr_events(
    conn: asyncpg.Connection, generations: Sequence[int], events: Sequence[Recorded]
) -> None:
    hr = [event for event in events if isinstance(event.payload, HrEvent)]
    if not hr:
        return
    await conn.execute(
        _INSERT_HR,
        list(generations),
        [event.payload.partition_key() for event in hr],
        [event.event_id for event in hr],
        [event.event_type for event in hr],
        [event.occurred_at for event in hr],
        [event.payload.model_dump(mode="json") for event in hr],
    )
    employees = sorted({event.payload.partition_key() for event in hr})
    for generation in generations:
        await refold_roster(conn, generation, employees)


async def refold_roster(
    conn: asyncpg.Connection, generation: int, employee_ids: Sequence[str]
) -> None:
    rows = await conn.fetch(
        "SELECT employee_id, event_id, event_type, occurred_at, payload FROM hr_events "
        "WHERE generation = $1 AND employee_id = ANY($2::text[])",
        generation,
        list(employee_ids),
    )
    by_employee: dict[str, list[HrFact]] = {}
    for row in rows:
        payload = REGISTRY.model(row["event_type"]).model_validate(row["payload"])
        by_employee.setdefault(row["employee_id"], []).append(
            HrFact(payload, row["occurred_at"], row["event_id"])
        )
    entries = [entry for facts in by_employee.values() if (entry := fold_roster(facts))]
    if not entries:
        return
    await conn.executemany(
        """
        INSERT INTO roster (generation, employee_id, display_name, team_id, supervisor_id, role,
                            timezone, hired_on, left_on)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (generation, employee_id) DO UPDATE SET
            display_name = EXCLUDED.display_name, team_id = EXCLUDED.team_id,
            supervisor_id = EXCLUDED.supervisor_id, role = EXCLUDED.role,
            timezone = EXCLUDED.timezone, hired_on = EXCLUDED.hired_on,
            left_on = EXCLUDED.left_on
        """,
        [
            (
                generation,
                e.employee_id,
                e.display_name,
                e.team_id,
                e.supervisor_id,
                e.role,
                e.timezone,
                e.hired_on,
                e.left_on,
            )
            for e in entries
        ],
    )


# Own views -----------------------------------------------------------------------------------


def _json(payload: Payload) -> dict[str, Any]:
    return payload.model_dump(mode="json")


async def apply_own(conn: asyncpg.Connection, event: Event) -> None:
    """Update the views of one of the appraisal's own events (in its append transaction)."""
    p = event.payload
    at = event.occurred_at
    if isinstance(p, AppraisalPeriodOpened):
        await conn.execute(
            "INSERT INTO periods (period_id, starts_on, ends_on, timezone, policy_version, "
            "policy_sha256, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (period_id) DO NOTHING",
            p.period_id,
            p.starts_on,
            p.ends_on,
            p.timezone,
            p.policy_version,
            p.policy_sha256,
            at,
        )
    elif isinstance(p, AppraisalPeriodClosed):
        await conn.execute(
            "UPDATE periods SET closed_at = $2, appraised_count = $3 WHERE period_id = $1",
            p.period_id,
            at,
            p.appraised_count,
        )
    elif isinstance(p, AppraisalFinalized):
        await conn.execute(
            "INSERT INTO appraisals (period_id, employee_id, event_id, score, band, finalized, "
            "finalized_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            p.period_id,
            p.employee_id,
            event.event_id,
            p.score,
            p.band,
            _json(p),
            at,
        )
    elif isinstance(p, RewardGranted):
        await conn.execute(
            "UPDATE appraisals SET reward = $3 WHERE period_id = $1 AND employee_id = $2",
            p.period_id,
            p.employee_id,
            _json(p),
        )
    elif isinstance(p, DisciplinaryActionIssued):
        await conn.execute(
            "INSERT INTO actions (action_id, employee_id, period_id, level, policy_rule_id, "
            "incident_at, issued, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT DO NOTHING",
            p.action_id,
            p.employee_id,
            p.period_id,
            p.level,
            p.policy_rule_id,
            p.incident_at,
            _json(p),
            at,
        )
    elif isinstance(p, AppealFiled):
        await conn.execute(
            "INSERT INTO appeals (appeal_id, action_id, employee_id, reason, filed_at, filed_by) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            p.appeal_id,
            p.action_id,
            p.employee_id,
            p.reason,
            at,
            event.envelope.actor_id,
        )
        await conn.execute(
            "UPDATE actions SET appeal_id = $2 WHERE action_id = $1", p.action_id, p.appeal_id
        )
    elif isinstance(p, AppealDecided):
        await conn.execute(
            "UPDATE appeals SET decision = $2, decision_reason = $3, decided_at = $4, "
            "decided_by = $5 WHERE appeal_id = $1",
            p.appeal_id,
            p.decision,
            p.reason,
            at,
            event.envelope.actor_id,
        )
        await conn.execute(
            "UPDATE actions SET appeal_decision = $2 WHERE action_id = $1", p.action_id, p.decision
        )


OWN_VIEWS = ("periods", "appraisals", "actions", "appeals")


async def rebuild_own_views(store: EventStore, conn: asyncpg.Connection) -> int:
    """Refill the own views from the service's log in one transaction (readers see the old rows
    until it commits). Returns how many events were replayed."""
    replayed = 0
    async with conn.transaction():
        await conn.execute(f"TRUNCATE {', '.join(OWN_VIEWS)}")
        after = Position()
        while True:
            logged = await store.read_log(after, limit=1000, conn=conn)
            if not logged:
                return replayed
            for item in logged:
                event = REGISTRY.read(Envelope.model_validate_json(item.body))
                await apply_own(conn, event)
                replayed += 1
            after = logged[-1].at
