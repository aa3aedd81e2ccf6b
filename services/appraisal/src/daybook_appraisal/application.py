"""Handlers: load the streams, run the pure decisions, append, keep the views; and the queries
that score the open period live.

Each command runs in one transaction through the kit (`kit.execute`); closing a period runs one
transaction per employee, then one for the period, so a close interrupted half way is finished by
running it again (every outcome has a deterministic id and a finalised period gives nothing).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog

from daybook_appraisal import views
from daybook_appraisal.domain import model
from daybook_appraisal.domain.access import Caller, require_own, require_read
from daybook_appraisal.domain.facts import Fact, Window, facts_in
from daybook_appraisal.domain.model import (
    EmployeeRecord,
    PeriodState,
    employee_stream,
    evolve_period,
    period_stream,
    record_before_close,
    record_of,
)
from daybook_appraisal.domain.outcomes import Appraisal, History, Period, appraise, lookback
from daybook_appraisal.domain.policy import LoadedPolicy, Policy, load_policy
from daybook_appraisal.domain.roster import RosterEntry
from daybook_appraisal.domain.whatif import Comparison, OutcomeSummary, what_if
from daybook_appraisal.projections import apply_own, live_generation
from daybook_appraisal.settings import AppraisalConfig
from daybook_shared.contracts import Event
from daybook_shared.contracts.appraisal import (
    AppealDecision,
    AppraisalFinalized,
    DisciplinaryActionIssued,
    RewardGranted,
)
from daybook_shared.errors import Conflict, Forbidden, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import EventStore, UnitOfWork
from daybook_shared.runtime.auth import Principal
from daybook_shared.runtime.service import ServiceKit

log = structlog.get_logger("daybook.appraisal")


def caller_of(principal: Principal | None) -> Caller:
    if principal is None:
        return Caller("integration")
    return Caller(principal.role.value, principal.employee_id)


@lru_cache(maxsize=32)
def pinned_policy(text: str) -> LoadedPolicy:
    """A pinned policy's text, read again (it was checked when it was pinned)."""
    return load_policy(text, "pinned policy")


def _pool(kit: ServiceKit) -> Any:
    assert kit.pool is not None, "the service is not started"
    return kit.pool


def _store(kit: ServiceKit) -> EventStore:
    assert kit.store is not None, "the service is not started"
    return kit.store


async def _append(uow: UnitOfWork, stream_id: str, new: list[Any]) -> list[Event]:
    stored = await uow.append(stream_id, new)
    for event in stored:
        await apply_own(uow.conn, event)
    return stored


# Periods -------------------------------------------------------------------------------------


def period_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "period_id": row["period_id"],
        "starts_on": row["starts_on"].isoformat(),
        "ends_on": row["ends_on"].isoformat(),
        "timezone": row["timezone"],
        "policy_version": row["policy_version"],
        "policy_sha256": row["policy_sha256"],
        "opened_at": row["opened_at"].isoformat(),
        "status": "closed" if row["closed_at"] else "open",
        "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
        "appraised_count": row["appraised_count"],
    }


async def open_period(
    kit: ServiceKit,
    config: AppraisalConfig,
    principal: Principal | None,
    *,
    period_id: str,
    starts_on: date,
    ends_on: date,
    timezone: str | None,
    policy_version: str | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Open a period and pin the policy to it (R-A8): the active one unless another is named."""
    version = policy_version or config.active.version
    policy = config.policies.get(version)
    if policy is None:
        raise InvalidCommand(
            f"no policy {version!r}; available: {', '.join(sorted(config.policies))}",
            field="policy_version",
        )
    command = model.OpenPeriod(
        period_id,
        starts_on,
        ends_on,
        timezone or config.organisation_timezone,
        policy,
        kit.clock.now(),
    )

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        # Overlap is checked across periods: serialise the opens.
        await uow.conn.execute("SELECT pg_advisory_xact_lock(hashtext('appraisal-open-period'))")
        state = _period_state(await uow.load(period_stream(period_id)))
        new = model.open_period(command, state, await views.period_windows(uow.conn))
        if new:
            await uow.conn.execute(
                "INSERT INTO pinned_policies (policy_version, sha256, document) "
                "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                policy.version,
                policy.sha256,
                policy.text,
            )
            await _append(uow, period_stream(period_id), new)
        return period_json(await views.period_row(uow.conn, period_id))

    request = {
        "period_id": period_id,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "timezone": timezone,
        "policy_version": version,
    }
    outcome = await kit.execute(
        "OpenPeriod", handler, principal=principal, idempotency_key=idempotency_key, request=request
    )
    return outcome.response


def _period_state(events: list[Event]) -> PeriodState:
    state = PeriodState()
    for event in events:
        state = evolve_period(state, event.payload)
    return state


async def _period(kit: ServiceKit, period_id: str) -> tuple[dict[str, Any], Period, LoadedPolicy]:
    row = await views.period_row(_pool(kit), period_id)
    text = await views.pinned_policy_text(_pool(kit), row["policy_version"], row["policy_sha256"])
    return row, Period(period_id, Window(row["starts_on"], row["ends_on"])), pinned_policy(text)


def appraised(entry: RosterEntry, policy: Policy, period: Period) -> bool:
    return entry.role in policy.appraised_roles and entry.employed_during(
        period.window.starts_on, period.window.ends_on
    )


async def close_period(
    kit: ServiceKit, config: AppraisalConfig, principal: Principal | None, period_id: str
) -> dict[str, Any]:
    """Finalise every appraised employee of the period, then mark it closed (R-B4, R-B5.3).

    Idempotent: a second run finalises nobody again and records nothing."""
    pool = _pool(kit)
    state = _period_state(await _store(kit).load(period_stream(period_id)))
    now = kit.clock.now()
    model.ensure_closable(state, period_id, now)
    _, period, policy = await _period(kit, period_id)
    generation = await live_generation(pool)
    employees = [
        e for e in await views.roster(pool, generation) if appraised(e, policy.policy, period)
    ]
    finalised_now = 0
    for entry in employees:
        if await _finalise(kit, principal, period, policy.policy, entry, now):
            finalised_now += 1

    async def close(uow: UnitOfWork) -> None:
        closing = _period_state(await uow.load(period_stream(period_id)))
        await _append(
            uow,
            period_stream(period_id),
            model.close_period(model.ClosePeriod(period_id, len(employees), now), closing),
        )

    await kit.execute("ClosePeriod", close, principal=principal)
    row = await views.period_row(pool, period_id)
    log.info(
        "period.closed", period_id=period_id, appraised=len(employees), finalised_now=finalised_now
    )
    return {**period_json(row), "finalised_now": finalised_now}


async def _finalise(
    kit: ServiceKit,
    principal: Principal | None,
    period: Period,
    policy: Policy,
    entry: RosterEntry,
    now: datetime,
) -> bool:
    async def handler(uow: UnitOfWork) -> bool:
        stream = employee_stream(entry.employee_id)
        record = record_of(entry.employee_id, [e.payload for e in await uow.load(stream)])
        if record.finalised(period.period_id) is not None:
            return False
        facts = await _facts(uow.conn, policy, period, entry.employee_id, record.history())
        new = model.finalise_appraisal(
            model.FinaliseAppraisal(
                period.period_id,
                period.window,
                entry.employee_id,
                ZoneInfo(entry.timezone),
                tuple(facts),
                now,
            ),
            policy,
            record,
        )
        await _append(uow, stream, new)
        return True

    outcome = await kit.execute("FinaliseAppraisal", handler, principal=principal)
    return bool(outcome.response)


async def _facts(
    db: Any, policy: Policy, period: Period, employee_id: str, history: History
) -> list[Fact]:
    found = await _facts_of(db, policy, period, [employee_id], history)
    return found[employee_id]


async def _facts_of(
    db: Any, policy: Policy, period: Period, employee_ids: list[str], history: History
) -> dict[str, list[Fact]]:
    generation = await live_generation(db)
    return await views.facts_for(
        db,
        generation,
        employee_ids,
        lookback(policy, period.window, history),
        period.window.ends_on,
        views.unbounded_kinds(policy.conduct_kinds()),
    )


async def close_due_periods(kit: ServiceKit, config: AppraisalConfig) -> list[str]:
    """The scheduler's step: close every open period whose last day ended more than the grace
    period ago (the same command as the HTTP close; safe on several replicas at once)."""
    now = kit.clock.now()
    closed = []
    for row in await views.periods(_pool(kit)):
        due = model.close_due_at(row["ends_on"], row["timezone"], config.close_grace)
        if row["closed_at"] is None and now >= due:
            await close_period(kit, config, None, row["period_id"])
            closed.append(row["period_id"])
    return closed


# Scorecards ----------------------------------------------------------------------------------


async def _visible_entry(kit: ServiceKit, caller: Caller, employee_id: str) -> RosterEntry:
    entry = await views.roster_entry(_pool(kit), await live_generation(_pool(kit)), employee_id)
    require_read(caller, employee_id, entry.supervisor_id if entry else None)
    if entry is None:
        raise NotFound(f"employee {employee_id} is not on the roster", field="employee_id")
    return entry


async def _record(kit: ServiceKit, employee_id: str) -> tuple[EmployeeRecord, list[Any]]:
    events = await _store(kit).load(employee_stream(employee_id))
    payloads = [event.payload for event in events]
    return record_of(employee_id, payloads), payloads


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {
        "event_id": str(fact.event_id),
        "event_type": fact.event_type,
        "occurred_at": fact.occurred_at.isoformat(),
        "kind": fact.kind.value,
        "value": str(fact.value),
    }


def _scorecard_json(
    status: str,
    finalized: AppraisalFinalized,
    reward: dict[str, Any] | None,
    actions: list[dict[str, Any]],
    facts: list[Fact],
) -> dict[str, Any]:
    by_id = {fact.event_id: fact for fact in facts}
    components = []
    for component in finalized.components:
        shown = component.model_dump(mode="json")
        shown["events"] = [
            {**_fact_json(by_id[event_id]), "rule_ids": list(component.rule_ids)}
            for event_id in component.counted_event_ids
            if event_id in by_id
        ]
        components.append(shown)
    return {
        "status": status,
        "period_id": finalized.period_id,
        "employee_id": finalized.employee_id,
        "starts_on": finalized.starts_on.isoformat(),
        "ends_on": finalized.ends_on.isoformat(),
        "policy_version": finalized.policy_version,
        "score": str(finalized.score),
        "band": finalized.band,
        "components": components,
        "ignored": [_fact_json(by_id[i]) for i in finalized.ignored_event_ids if i in by_id],
        "reward": reward,
        "actions": actions,
    }


def _provisional(appraisal: Appraisal, policy: Policy, now: datetime) -> dict[str, Any]:
    events = model.outcome_events(appraisal, policy, now)
    finalized = events[0].payload
    assert isinstance(finalized, AppraisalFinalized)
    reward = next(
        (e.payload.model_dump(mode="json") for e in events if isinstance(e.payload, RewardGranted)),
        None,
    )
    actions = [
        {**e.payload.model_dump(mode="json"), "appeal": None}
        for e in events
        if isinstance(e.payload, DisciplinaryActionIssued)
    ]
    return _scorecard_json(
        "provisional",
        finalized,
        reward,
        actions,
        list(appraisal.scorecard.facts) + list(appraisal.considered),
    )


def action_json(row: dict[str, Any]) -> dict[str, Any]:
    appeal = None
    if row["appeal_id"] is not None:
        appeal = {
            "appeal_id": str(row["appeal_id"]),
            "reason": row["appeal_reason"],
            "filed_at": row["appeal_filed_at"].isoformat(),
            "decision": row["appeal_decision"],
            "decision_reason": row["appeal_decision_reason"],
            "decided_at": row["appeal_decided_at"].isoformat()
            if row["appeal_decided_at"]
            else None,
        }
    return {**row["issued"], "appeal": appeal}


async def scorecard(
    kit: ServiceKit, principal: Principal, period_id: str, employee_id: str
) -> dict[str, Any]:
    """The employee's scorecard: live and provisional while the period is open, final after.

    A final scorecard also lists the facts dated in the period that arrived after its close:
    they changed nothing in it (see the README: facts after close)."""
    entry = await _visible_entry(kit, caller_of(principal), employee_id)
    row, period, policy = await _period(kit, period_id)
    pool = _pool(kit)
    record, _ = await _record(kit, employee_id)
    stored = (await views.appraisal_rows(pool, period_id, [employee_id])).get(employee_id)
    if stored is None:
        if row["closed_at"] is not None:
            raise NotFound(
                f"{employee_id} was not appraised in period {period_id}", field="employee_id"
            )
        facts = await _facts(pool, policy.policy, period, employee_id, record.history())
        appraisal = appraise(
            policy.policy, period, employee_id, ZoneInfo(entry.timezone), facts, record.history()
        )
        return _provisional(appraisal, policy.policy, kit.clock.now())
    finalized = AppraisalFinalized.model_validate(stored["finalized"])
    generation = await live_generation(pool)
    considered = set(finalized.considered_event_ids)
    counted = await views.facts_by_ids(pool, generation, employee_id, list(considered))
    now_known = await _facts(pool, policy.policy, period, employee_id, History())
    late = [
        fact
        for fact in facts_in(now_known, period.window, ZoneInfo(entry.timezone))
        if fact.event_id not in considered
    ]
    actions = [action_json(a) for a in await views.actions_of(pool, employee_id, period_id)]
    card = _scorecard_json("final", finalized, stored["reward"], actions, counted)
    card["arrived_after_close"] = [_fact_json(fact) for fact in late]
    return card


@dataclass(frozen=True)
class BoardRow:
    entry: RosterEntry
    status: str
    score: str
    band: str


async def _board(
    kit: ServiceKit, principal: Principal, period_id: str, team_id: str | None
) -> list[BoardRow]:
    caller = caller_of(principal)
    pool = _pool(kit)
    generation = await live_generation(pool)
    if caller.sees_everyone:
        members = await views.roster(pool, generation, team_id=team_id)
    elif caller.role == "supervisor":
        members = await views.roster(
            pool, generation, supervisor_id=caller.employee_id, team_id=team_id
        )
    else:
        raise Forbidden("the scoreboard is for supervisors and hr", field="role")
    _, period, policy = await _period(kit, period_id)
    members = [m for m in members if appraised(m, policy.policy, period)]
    final = await views.appraisal_rows(pool, period_id, [m.employee_id for m in members])
    open_ids = [m.employee_id for m in members if m.employee_id not in final]
    facts = await _facts_of(pool, policy.policy, period, open_ids, History()) if open_ids else {}
    rows = []
    for member in members:
        if member.employee_id in final:
            done = final[member.employee_id]
            rows.append(BoardRow(member, "final", str(done["score"]), done["band"]))
            continue
        # Score and band do not depend on the record; promotion and discipline do, and wait
        # for the close.
        appraisal = appraise(
            policy.policy,
            period,
            member.employee_id,
            ZoneInfo(member.timezone),
            facts[member.employee_id],
            History(),
        )
        rows.append(
            BoardRow(member, "provisional", str(appraisal.scorecard.score), appraisal.band.id)
        )
    return rows


async def scoreboard(
    kit: ServiceKit, principal: Principal, period_id: str, team_id: str | None
) -> dict[str, Any]:
    """A supervisor's team (direct reports), or for hr everyone or one team, best first."""
    rows = await _board(kit, principal, period_id, team_id)
    ranked = sorted(rows, key=lambda r: (-Decimal(r.score), r.entry.employee_id))
    return {
        "period_id": period_id,
        "team_id": team_id,
        "rows": [
            {
                "employee_id": r.entry.employee_id,
                "display_name": r.entry.display_name,
                "team_id": r.entry.team_id,
                "status": r.status,
                "score": r.score,
                "band": r.band,
            }
            for r in ranked
        ],
    }


async def band_distribution(
    kit: ServiceKit, principal: Principal, period_id: str, team_id: str | None
) -> dict[str, Any]:
    rows = await _board(kit, principal, period_id, team_id)
    _, _, policy = await _period(kit, period_id)
    counts = Counter(r.band for r in rows)
    return {
        "period_id": period_id,
        "team_id": team_id,
        "policy_version": policy.version,
        "total": len(rows),
        "bands": {band.id: counts.get(band.id, 0) for band in policy.policy.bands},
    }


# Appeals -------------------------------------------------------------------------------------


async def employee_actions(
    kit: ServiceKit, principal: Principal, employee_id: str
) -> list[dict[str, Any]]:
    await _visible_entry(kit, caller_of(principal), employee_id)
    return [action_json(row) for row in await views.actions_of(_pool(kit), employee_id)]


async def file_appeal(
    kit: ServiceKit,
    principal: Principal,
    action_id: UUID,
    reason: str,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The employee contests their own disciplinary action (R-B4.3)."""
    employee_id = await views.action_owner(_pool(kit), action_id)
    require_own(caller_of(principal), employee_id)
    command = model.FileAppeal(action_id, employee_id, reason, kit.clock.now())

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        stream = employee_stream(employee_id)
        record = record_of(employee_id, [e.payload for e in await uow.load(stream)])
        await _append(uow, stream, model.file_appeal(command, record))
        return {
            "appeal_id": str(model.appeal_id_for(action_id)),
            "action_id": str(action_id),
            "employee_id": employee_id,
            "reason": reason,
            "decision": None,
        }

    outcome = await kit.execute(
        "FileAppeal",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request={"action_id": str(action_id), "reason": reason},
    )
    return outcome.response


async def decide_appeal(
    kit: ServiceKit,
    principal: Principal,
    appeal_id: UUID,
    decision: AppealDecision,
    reason: str | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """hr upholds or overturns; an overturned action stops counting towards escalation."""
    appeal = await views.appeal_row(_pool(kit), appeal_id)
    employee_id = appeal["employee_id"]
    command = model.DecideAppeal(appeal_id, employee_id, decision, reason, kit.clock.now())

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        stream = employee_stream(employee_id)
        record = record_of(employee_id, [e.payload for e in await uow.load(stream)])
        await _append(uow, stream, model.decide_appeal(command, record))
        return {
            "appeal_id": str(appeal_id),
            "action_id": str(appeal["action_id"]),
            "employee_id": employee_id,
            "decision": decision,
            "reason": reason,
        }

    outcome = await kit.execute(
        "DecideAppeal",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request={"appeal_id": str(appeal_id), "decision": decision, "reason": reason},
    )
    return outcome.response


# What-if -------------------------------------------------------------------------------------


def _summary_json(summary: OutcomeSummary) -> dict[str, Any]:
    return {
        "policy_version": summary.policy_version,
        "score": str(summary.score),
        "band": summary.band,
        "points": {key: str(value) for key, value in summary.points.items()},
        "bonus_share": str(summary.bonus_share),
        "salary_adjustment": str(summary.salary_adjustment),
        "commendation": summary.commendation,
        "promotion_eligible": summary.promotion_eligible,
        "actions": [{"level": level, "policy_rule_id": rule} for level, rule in summary.actions],
    }


async def try_policy(kit: ServiceKit, period_id: str, candidate: LoadedPolicy) -> dict[str, Any]:
    """Score a closed period's history under a candidate policy beside its pinned one (R-A8).

    Each employee's facts are exactly those their close considered, and their record is as the
    close saw it, so the only difference is the policy. Nothing is recorded."""
    row, period, pinned = await _period(kit, period_id)
    if row["closed_at"] is None:
        raise Conflict(
            f"period {period_id} is still open: try a policy on a closed period", field="period_id"
        )
    pool = _pool(kit)
    generation = await live_generation(pool)
    comparisons: list[Comparison] = []
    for employee_id, stored in sorted((await views.appraisal_rows(pool, period_id)).items()):
        finalized = AppraisalFinalized.model_validate(stored["finalized"])
        entry = await views.roster_entry(pool, generation, employee_id)
        tz = ZoneInfo(entry.timezone if entry else row["timezone"])
        facts = await views.facts_by_ids(
            pool, generation, employee_id, list(finalized.considered_event_ids)
        )
        _, payloads = await _record(kit, employee_id)
        record = record_before_close(employee_id, payloads, period_id)
        comparisons.append(
            what_if(pinned.policy, candidate.policy, period, employee_id, tz, tuple(facts), record)
        )
    before = Counter(c.current.band for c in comparisons)
    after = Counter(c.candidate.band for c in comparisons)
    bands = list(
        dict.fromkeys(
            [*(b.id for b in pinned.policy.bands), *(b.id for b in candidate.policy.bands)]
        )
    )
    return {
        "period_id": period_id,
        "current_policy_version": pinned.version,
        "candidate_policy_version": candidate.version,
        "employees": [
            {
                "employee_id": c.employee_id,
                "changed": c.changed,
                "band_changed": c.band_changed,
                "current": _summary_json(c.current),
                "candidate": _summary_json(c.candidate),
            }
            for c in comparisons
        ],
        "summary": {
            "appraised": len(comparisons),
            "changed": sum(c.changed for c in comparisons),
            "band_changed": sum(c.band_changed for c in comparisons),
            "bands_current": {band: before.get(band, 0) for band in bands},
            "bands_candidate": {band: after.get(band, 0) for band in bands},
        },
    }
