"""Appraisal context events: scores finalised, rewards granted, discipline issued and appealed.

Published on the APPRAISAL stream for HR, payroll and anyone else (R-A8, R-B4, R-B5.3). Every
outcome carries its explanation: the policy version, the rule ids of POLICY.md it applies, and the
ids of the events that caused it, so a person can trace any score or measure to its source.
Employee and period events are keyed by employee id; period events by period id.

Numbers are exact decimals. `score` and `points` are rounded to the hundredth (the points add up to
the score); shares and normalised values are rounded to four places for reading, not recomputing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from daybook_shared.contracts.base import (
    Contract,
    EmployeeId,
    Identifier,
    LongText,
    Money,
    Payload,
    RuleId,
    ShortText,
)
from daybook_shared.contracts.hr import TimeZoneName

PeriodId = Identifier
PolicyVersion = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")]
Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
Share = Annotated[Decimal, Field(ge=0, le=1)]
DisciplinaryLevel = Literal["warning", "pay_cut", "dismissal_recommendation"]
"""The measures of R-B4.3, mildest first."""
AppealDecision = Literal["upheld", "overturned"]
MeasureKind = Literal["ratio", "mean", "total"]


class AppraisalEvent(Payload):
    context: ClassVar[str] = "appraisal"


class _PeriodEvent(AppraisalEvent):
    period_id: PeriodId

    def partition_key(self) -> str:
        return self.period_id


class AppraisalPeriodOpened(_PeriodEvent):
    """A period opened for appraisal, with the policy pinned to it (by version and the digest of
    its exact text). It may be closed once its last day has ended in `timezone`."""

    event_type: ClassVar[str] = "AppraisalPeriodOpened"
    starts_on: date
    ends_on: date
    timezone: TimeZoneName
    policy_version: PolicyVersion
    policy_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

    @model_validator(mode="after")
    def _ordered(self) -> AppraisalPeriodOpened:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class AppraisalPeriodClosed(_PeriodEvent):
    """Every employee appraised in the period has been finalised; nothing more will be issued
    for it (R-A8)."""

    event_type: ClassVar[str] = "AppraisalPeriodClosed"
    policy_version: PolicyVersion
    appraised_count: int = Field(ge=0)


class PartResult(Contract):
    """One measure of a component: its inputs, value, normalised value (0..1) and share."""

    part_id: Slug
    measure: MeasureKind
    inputs: dict[str, Decimal]
    value: Decimal | None
    normalised: Share | None
    share: Share
    effective_share: Share
    excluded: bool


class ComponentResult(Contract):
    """One component of the score (R-B4.1): weight, the points it earned, and the events that
    counted in it."""

    component_id: Slug
    title: ShortText
    rule_ids: tuple[RuleId, ...]
    weight: Decimal = Field(ge=0, le=100)
    effective_weight: Decimal = Field(ge=0, le=100)
    normalised: Share | None
    points: Decimal = Field(ge=0, le=100, decimal_places=2)
    excluded: bool
    parts: tuple[PartResult, ...]
    counted_event_ids: tuple[UUID, ...]


class AppraisalFinalized(AppraisalEvent):
    """An employee's score for a closed period, final, with every component and the policy
    version it was scored under (R-B4.1, R-A8)."""

    event_type: ClassVar[str] = "AppraisalFinalized"
    period_id: PeriodId
    employee_id: EmployeeId
    starts_on: date
    ends_on: date
    policy_version: PolicyVersion
    score: Score
    band: Slug
    components: tuple[ComponentResult, ...]
    ignored_event_ids: tuple[UUID, ...] = ()
    considered_event_ids: tuple[UUID, ...] = ()
    """Every event this appraisal read: the period's facts, the certifications behind promotion
    and the conduct facts disciplined (the audit trail, and what a what-if re-reads)."""
    rule_ids: tuple[RuleId, ...] = ("R-B4.1", "R-A8")


class RewardGranted(AppraisalEvent):
    """What the band earns (R-B4.2): a bonus as a share of the policy's bonus base (also given as
    an amount), a salary adjustment as a share of salary, a commendation, and whether the
    employee is now eligible for promotion (R-B5.3), with the periods and certifications that
    made them so."""

    event_type: ClassVar[str] = "RewardGranted"
    period_id: PeriodId
    employee_id: EmployeeId
    appraisal_event_id: UUID
    policy_version: PolicyVersion
    band: Slug
    bonus_share: Share
    bonus: Money
    salary_adjustment: Share
    commendation: bool
    promotion_eligible: bool
    promotion_period_ids: tuple[PeriodId, ...] = ()
    promotion_certification_event_ids: tuple[UUID, ...] = ()
    promotion_reason: ShortText | None = None
    rule_ids: tuple[RuleId, ...] = Field(min_length=1)


class DisciplinaryActionIssued(AppraisalEvent):
    """A measure of R-B4.3 at the level the policy sets, with its cause: the policy's discipline
    rule, the rule ids of POLICY.md, the events that caused it, and the earlier actions still
    standing in the escalation window that raised it above the rule's own level."""

    event_type: ClassVar[str] = "DisciplinaryActionIssued"
    action_id: UUID
    period_id: PeriodId
    employee_id: EmployeeId
    policy_version: PolicyVersion
    level: DisciplinaryLevel
    rule_level: DisciplinaryLevel
    policy_rule_id: Slug
    rule_ids: tuple[RuleId, ...] = Field(min_length=1)
    incident_at: AwareDatetime
    causing_event_ids: tuple[UUID, ...] = Field(min_length=1)
    standing_prior_action_ids: tuple[UUID, ...] = ()
    pay_cut_share: Share | None = None
    reason: LongText


class AppealFiled(AppraisalEvent):
    """The employee contests a disciplinary action, with their reason."""

    event_type: ClassVar[str] = "AppealFiled"
    appeal_id: UUID
    action_id: UUID
    employee_id: EmployeeId
    reason: LongText


class AppealDecided(AppraisalEvent):
    """hr upheld or overturned the appealed action; an overturned action no longer counts
    towards escalation (R-B4.3)."""

    event_type: ClassVar[str] = "AppealDecided"
    appeal_id: UUID
    action_id: UUID
    employee_id: EmployeeId
    decision: AppealDecision
    reason: LongText | None = None
