"""The appraisal's own aggregates and decisions: periods, and each employee's appraisal record.

A period (stream `period-<id>`) is opened with a policy pinned to it and closed once its last day
has ended. An employee's record (stream `employee-<id>`) holds their finalised appraisals,
rewards, disciplinary actions and appeals; it is the history that promotion streaks, poor-band
runs and the escalation ladder read. Decisions are pure: time and every input arrive in the
command; derived events get deterministic ids, so a close run twice records nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from daybook_appraisal.domain.facts import Fact, Window
from daybook_appraisal.domain.outcomes import (
    Appraisal,
    History,
    PastAction,
    PastAppraisal,
    Period,
    appraise,
)
from daybook_appraisal.domain.policy import LoadedPolicy, Policy
from daybook_appraisal.domain.scoring import ComponentScore
from daybook_shared.contracts import Money, Payload
from daybook_shared.contracts.appraisal import (
    AppealDecided,
    AppealDecision,
    AppealFiled,
    AppraisalFinalized,
    AppraisalPeriodClosed,
    AppraisalPeriodOpened,
    ComponentResult,
    DisciplinaryActionIssued,
    PartResult,
    RewardGranted,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import NewEvent
from daybook_shared.kit.ids import derived_id

FOUR_PLACES = Decimal("0.0001")
LONGEST_PERIOD_DAYS = 366


def period_stream(period_id: str) -> str:
    return f"period-{period_id}"


def employee_stream(employee_id: str) -> str:
    return f"employee-{employee_id}"


def appeal_id_for(action_id: UUID) -> UUID:
    """One appeal per action: filing it again names the same appeal."""
    return derived_id("appraisal", "AppealFiled", action_id)


# Periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodState:
    opened: AppraisalPeriodOpened | None = None
    closed: bool = False

    @property
    def window(self) -> Window:
        assert self.opened is not None
        return Window(self.opened.starts_on, self.opened.ends_on)

    def closes_from(self) -> datetime:
        """The first moment the period may close: after its last day, in its timezone."""
        assert self.opened is not None
        return self.window.end_instant(ZoneInfo(self.opened.timezone))


def evolve_period(state: PeriodState, payload: Payload) -> PeriodState:
    if isinstance(payload, AppraisalPeriodOpened):
        return replace(state, opened=payload)
    if isinstance(payload, AppraisalPeriodClosed):
        return replace(state, closed=True)
    return state


@dataclass(frozen=True)
class OpenPeriod:
    period_id: str
    starts_on: date
    ends_on: date
    timezone: str
    policy: LoadedPolicy
    at: datetime


def open_period(
    command: OpenPeriod, state: PeriodState, other_periods: Iterable[tuple[str, Window]]
) -> list[NewEvent]:
    """Open a period with the policy pinned to it (R-A8). Opening the same period again with the
    same dates and policy changes nothing; anything else is refused."""
    if command.ends_on < command.starts_on:
        raise InvalidCommand("ends_on is before starts_on", field="ends_on")
    if (command.ends_on - command.starts_on).days >= LONGEST_PERIOD_DAYS:
        raise InvalidCommand(f"a period lasts at most {LONGEST_PERIOD_DAYS} days", field="ends_on")
    wanted = AppraisalPeriodOpened(
        period_id=command.period_id,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
        timezone=command.timezone,
        policy_version=command.policy.version,
        policy_sha256=command.policy.sha256,
    )
    if state.opened is not None:
        if state.opened == wanted:
            return []
        raise Conflict(
            f"period {command.period_id} is already open for {state.opened.starts_on} to "
            f"{state.opened.ends_on} under policy {state.opened.policy_version}",
            field="period_id",
        )
    window = Window(command.starts_on, command.ends_on)
    for other_id, other in other_periods:
        if other_id != command.period_id and (
            window.starts_on <= other.ends_on and other.starts_on <= window.ends_on
        ):
            raise Conflict(
                f"period {command.period_id} would overlap period {other_id} "
                f"({other.starts_on} to {other.ends_on})",
                field="starts_on",
            )
    return [
        NewEvent(
            wanted, command.at, derived_id("appraisal", "AppraisalPeriodOpened", command.period_id)
        )
    ]


@dataclass(frozen=True)
class ClosePeriod:
    period_id: str
    appraised_count: int
    at: datetime


def close_due_at(ends_on: date, timezone: str, grace: timedelta) -> datetime:
    """When the scheduler closes a period: its last day ended in its timezone, plus a grace for
    the day-close and missed-report sweeps of that day to arrive."""
    return Window(ends_on, ends_on).end_instant(ZoneInfo(timezone)) + grace


def ensure_closable(state: PeriodState, period_id: str, at: datetime) -> None:
    """A period closes only after its last day has ended, so nobody is finalised on a part."""
    if state.opened is None:
        raise NotFound(f"no appraisal period {period_id}", field="period_id")
    if at < state.closes_from():
        raise Conflict(
            f"period {period_id} runs until {state.opened.ends_on} in {state.opened.timezone}; "
            f"it can close from {state.closes_from().isoformat()}",
            field="period_id",
        )


def close_period(command: ClosePeriod, state: PeriodState) -> list[NewEvent]:
    """Record that every employee of the period has been finalised (idempotent)."""
    ensure_closable(state, command.period_id, command.at)
    if state.closed:
        return []
    assert state.opened is not None
    closed = AppraisalPeriodClosed(
        period_id=command.period_id,
        policy_version=state.opened.policy_version,
        appraised_count=command.appraised_count,
    )
    return [
        NewEvent(
            closed, command.at, derived_id("appraisal", "AppraisalPeriodClosed", command.period_id)
        )
    ]


# Employee records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRecord:
    issued: DisciplinaryActionIssued
    appeal_id: UUID | None = None
    decision: AppealDecision | None = None

    @property
    def overturned(self) -> bool:
        return self.decision == "overturned"


@dataclass(frozen=True)
class EmployeeRecord:
    employee_id: str
    appraisals: tuple[AppraisalFinalized, ...] = ()
    actions: dict[UUID, ActionRecord] = field(default_factory=dict)
    appeals: dict[UUID, UUID] = field(default_factory=dict)

    def finalised(self, period_id: str) -> AppraisalFinalized | None:
        return next((a for a in self.appraisals if a.period_id == period_id), None)

    def history(self) -> History:
        return History(
            appraisals=tuple(
                PastAppraisal(
                    period_id=a.period_id,
                    window=Window(a.starts_on, a.ends_on),
                    band=a.band,
                    score=a.score,
                    event_id=derived_id(
                        "appraisal", "AppraisalFinalized", a.period_id, a.employee_id
                    ),
                )
                for a in self.appraisals
            ),
            actions=tuple(
                PastAction(
                    action_id=record.issued.action_id,
                    level=record.issued.level,
                    incident_at=record.issued.incident_at,
                    policy_rule_id=record.issued.policy_rule_id,
                    causing_event_ids=frozenset(record.issued.causing_event_ids),
                    overturned=record.overturned,
                )
                for record in self.actions.values()
            ),
        )


def evolve_record(record: EmployeeRecord, payload: Payload) -> EmployeeRecord:
    if isinstance(payload, AppraisalFinalized):
        return replace(record, appraisals=(*record.appraisals, payload))
    if isinstance(payload, DisciplinaryActionIssued):
        return replace(record, actions={**record.actions, payload.action_id: ActionRecord(payload)})
    if isinstance(payload, AppealFiled):
        action = replace(record.actions[payload.action_id], appeal_id=payload.appeal_id)
        return replace(
            record,
            actions={**record.actions, payload.action_id: action},
            appeals={**record.appeals, payload.appeal_id: payload.action_id},
        )
    if isinstance(payload, AppealDecided):
        action = replace(record.actions[payload.action_id], decision=payload.decision)
        return replace(record, actions={**record.actions, payload.action_id: action})
    return record


def record_of(employee_id: str, payloads: Iterable[Payload]) -> EmployeeRecord:
    record = EmployeeRecord(employee_id)
    for payload in payloads:
        record = evolve_record(record, payload)
    return record


def record_before_close(
    employee_id: str, payloads: Iterable[Payload], period_id: str
) -> EmployeeRecord:
    """The record as the period's close saw it: everything before its `AppraisalFinalized`."""
    record = EmployeeRecord(employee_id)
    for payload in payloads:
        if isinstance(payload, AppraisalFinalized) and payload.period_id == period_id:
            break
        record = evolve_record(record, payload)
    return record


@dataclass(frozen=True)
class FinaliseAppraisal:
    period_id: str
    window: Window
    employee_id: str
    timezone: ZoneInfo
    facts: tuple[Fact, ...]
    at: datetime


def finalise_appraisal(
    command: FinaliseAppraisal, policy: Policy, record: EmployeeRecord
) -> list[NewEvent]:
    """Finalise one employee's period: score, band, rewards and discipline, explained
    (R-B4.1, R-B4.2, R-B4.3, R-B5.3). A period already finalised for them gives nothing."""
    if record.finalised(command.period_id) is not None:
        return []
    appraisal = appraise(
        policy,
        Period(command.period_id, command.window),
        command.employee_id,
        command.timezone,
        command.facts,
        record.history(),
    )
    return outcome_events(appraisal, policy, command.at)


def _q4(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(FOUR_PLACES)


def component_result(component: ComponentScore) -> ComponentResult:
    return ComponentResult(
        component_id=component.id,
        title=component.title,
        rule_ids=component.rule_ids,
        weight=component.weight,
        effective_weight=component.effective_weight.quantize(FOUR_PLACES),
        normalised=_q4(component.normalised),
        points=component.points,
        excluded=component.excluded,
        parts=tuple(
            PartResult(
                part_id=part.id,
                measure=part.measure,
                inputs=part.inputs,
                value=_q4(part.value),
                normalised=_q4(part.normalised),
                share=part.share,
                effective_share=part.effective_share.quantize(FOUR_PLACES),
                excluded=part.excluded,
            )
            for part in component.parts
        ),
        counted_event_ids=tuple(dict.fromkeys(fact.event_id for fact in component.facts)),
    )


def finalized_payload(appraisal: Appraisal, policy: Policy) -> AppraisalFinalized:
    card = appraisal.scorecard
    return AppraisalFinalized(
        period_id=appraisal.period.period_id,
        employee_id=appraisal.employee_id,
        starts_on=appraisal.period.window.starts_on,
        ends_on=appraisal.period.window.ends_on,
        policy_version=policy.policy_version,
        score=card.score,
        band=appraisal.band.id,
        components=tuple(component_result(c) for c in card.components),
        ignored_event_ids=tuple(dict.fromkeys(i.fact.event_id for i in card.ignored)),
        considered_event_ids=tuple(dict.fromkeys(f.event_id for f in appraisal.considered)),
    )


def outcome_events(appraisal: Appraisal, policy: Policy, at: datetime) -> list[NewEvent]:
    period_id = appraisal.period.period_id
    events = [NewEvent(finalized_payload(appraisal, policy), at, appraisal.appraisal_id)]
    reward = appraisal.reward
    if reward is not None:
        promotion = reward.promotion
        events.append(
            NewEvent(
                RewardGranted(
                    period_id=period_id,
                    employee_id=appraisal.employee_id,
                    appraisal_event_id=appraisal.appraisal_id,
                    policy_version=policy.policy_version,
                    band=reward.band,
                    bonus_share=reward.bonus_share,
                    bonus=Money(amount=reward.bonus_amount, currency=reward.currency),
                    salary_adjustment=reward.salary_adjustment,
                    commendation=reward.commendation,
                    promotion_eligible=promotion is not None,
                    promotion_period_ids=promotion.streak_period_ids if promotion else (),
                    promotion_certification_event_ids=(
                        promotion.certification_event_ids if promotion else ()
                    ),
                    promotion_reason=promotion.reason if promotion else None,
                    rule_ids=reward.rule_ids,
                ),
                at,
                reward.reward_id,
            )
        )
    for action in appraisal.actions:
        events.append(
            NewEvent(
                DisciplinaryActionIssued(
                    action_id=action.action_id,
                    period_id=period_id,
                    employee_id=appraisal.employee_id,
                    policy_version=policy.policy_version,
                    level=action.level,
                    rule_level=action.rule_level,
                    policy_rule_id=action.policy_rule_id,
                    rule_ids=action.rule_ids,
                    incident_at=action.incident_at,
                    causing_event_ids=action.causing_event_ids,
                    standing_prior_action_ids=action.standing_prior_action_ids,
                    pay_cut_share=action.pay_cut_share,
                    reason=action.reason,
                ),
                at,
                action.action_id,
            )
        )
    return events


# Appeals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileAppeal:
    action_id: UUID
    employee_id: str
    reason: str
    at: datetime


def file_appeal(command: FileAppeal, record: EmployeeRecord) -> list[NewEvent]:
    """The employee contests a disciplinary action, once (R-B4.3)."""
    action = record.actions.get(command.action_id)
    if action is None:
        raise NotFound(
            f"no disciplinary action {command.action_id} for employee {command.employee_id}",
            field="action_id",
        )
    if action.appeal_id is not None:
        raise Conflict(
            f"action {command.action_id} was already appealed (appeal {action.appeal_id})",
            field="action_id",
        )
    appeal_id = appeal_id_for(command.action_id)
    filed = AppealFiled(
        appeal_id=appeal_id,
        action_id=command.action_id,
        employee_id=command.employee_id,
        reason=command.reason,
    )
    return [NewEvent(filed, command.at, appeal_id)]


@dataclass(frozen=True)
class DecideAppeal:
    appeal_id: UUID
    employee_id: str
    decision: AppealDecision
    reason: str | None
    at: datetime


def decide_appeal(command: DecideAppeal, record: EmployeeRecord) -> list[NewEvent]:
    """hr upholds or overturns; an overturned action stops counting towards escalation."""
    action_id = record.appeals.get(command.appeal_id)
    if action_id is None:
        raise NotFound(f"no appeal {command.appeal_id}", field="appeal_id")
    action = record.actions[action_id]
    if action.decision is not None:
        raise Conflict(
            f"appeal {command.appeal_id} was already decided: {action.decision}", field="appeal_id"
        )
    decided = AppealDecided(
        appeal_id=command.appeal_id,
        action_id=action_id,
        employee_id=command.employee_id,
        decision=command.decision,
        reason=command.reason,
    )
    return [
        NewEvent(decided, command.at, derived_id("appraisal", "AppealDecided", command.appeal_id))
    ]
