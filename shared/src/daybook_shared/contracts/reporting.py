"""Reporting context events: daily reports, targets, goals, progress, market research, development.

Published by the reporting service on the REPORTING stream. The appraisal service reads them for the
reporting-discipline (R-A2), goal-attainment and progress-discipline (R-A3, R-B2.4), and development
(R-A6, R-B2.3, R-B5) components. They carry ids and work facts only, no personal data (R-B3.4).

How a working day's daily report reads, in business time (`occurred_at`):
- on time: a `DailyReportSubmitted` with `on_time=True` (later revisions amend it, all before the
  deadline);
- late: a `DailyReportMissed` at the deadline, then a `DailyReportSubmitted` with `on_time=False`;
- missed: a `DailyReportMissed` and nothing after it;
- excused after all: a `DailyReportMissed` later named by a `DailyReportMissedWithdrawn` (leave
  approved, or a holiday declared, after the deadline): the day counts as no working day.
`DailyReportMissed` states that nothing was in by the deadline, whenever the sweep that records it
runs, so the sequence is the same on every replay. Goal progress reports follow the same pattern
with `GoalProgressReported` and `GoalProgressReportMissed`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from daybook_shared.contracts.base import (
    EmployeeId,
    LongText,
    Money,
    Payload,
    ShortText,
    TeamId,
)

Metric = Literal["sales_amount", "deals_won", "new_customers"]
"""What a target or goal counts: won deal amounts (Money), deals won, or new customers (counts)."""

Cadence = Literal["weekly", "monthly"]
"""How often goal progress is reported (R-A3): ISO weeks (Monday to Sunday) or calendar months."""

DevelopmentKind = Literal["training", "reading", "mentoring"]

Revision = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Hours = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]


class ReportingEvent(Payload):
    context: ClassVar[str] = "reporting"


class _MetricValue(ReportingEvent):
    """A value in a metric's unit: `amount` (Money) for sales_amount, `count` otherwise."""

    metric: Metric
    amount: Money | None = None
    count: Count | None = None

    @model_validator(mode="after")
    def _value_matches_metric(self) -> Self:
        if self.metric == "sales_amount":
            if self.amount is None or self.count is not None:
                raise ValueError("metric sales_amount takes an amount (Money) and no count")
            if self.amount.amount < 0:
                raise ValueError("amount must not be negative")
        elif self.count is None or self.amount is not None:
            raise ValueError(f"metric {self.metric} takes a count and no amount")
        return self

    def value(self) -> Decimal:
        """The value as a number in the metric's unit (the currency is on `amount`)."""
        return self.amount.amount if self.amount is not None else Decimal(self.count or 0)


class _Objective(_MetricValue):
    """A target or a goal: its value must be above zero."""

    @model_validator(mode="after")
    def _value_is_positive(self) -> Self:
        if self.value() <= 0:
            raise ValueError("a target or goal value must be greater than zero")
        return self


class DailyReportSubmitted(ReportingEvent):
    """R-A2: a working day's report, routed to the direct supervisor, on time or late.

    Revision 1 is the first submission; a higher revision amends it before the deadline, and the
    earlier revisions stay in the stream as history. `supervisor_id` is the direct supervisor the
    report was routed to at submission.
    """

    event_type: ClassVar[str] = "DailyReportSubmitted"
    employee_id: EmployeeId
    report_date: date
    revision: Revision
    work: LongText
    progress: LongText
    challenges: LongText
    solutions: LongText
    supervisor_id: EmployeeId | None
    submitted_at: AwareDatetime
    deadline: AwareDatetime
    on_time: bool


class DailyReportMissed(ReportingEvent):
    """R-A2: no report was in by a working day's deadline (derived id per employee and day)."""

    event_type: ClassVar[str] = "DailyReportMissed"
    employee_id: EmployeeId
    report_date: date
    deadline: AwareDatetime
    supervisor_id: EmployeeId | None


class DailyReportMissedWithdrawn(ReportingEvent):
    """R-A2: a `DailyReportMissed` no longer holds, because a fact that arrived after it (leave
    approved afterwards, a holiday declared, a schedule or employment change) shows the day was
    not a working day. `day_status` says what the day is now. Consumers drop the missed event
    named by `withdrawn_event_id`; `occurred_at` is the withdrawn fact's (its deadline)."""

    event_type: ClassVar[str] = "DailyReportMissedWithdrawn"
    employee_id: EmployeeId
    report_date: date
    withdrawn_event_id: UUID
    day_status: Literal["weekend", "holiday", "on_leave", "not_employed"]


class DailyReportReviewed(ReportingEvent):
    """R-A2: the direct supervisor (or hr) read a report revision and commented on it."""

    event_type: ClassVar[str] = "DailyReportReviewed"
    employee_id: EmployeeId
    report_date: date
    revision: Revision
    reviewer_id: EmployeeId
    comment: LongText
    reviewed_at: AwareDatetime


class CompanyTargetSet(_Objective):
    """R-A3: a company-wide (`team_id` None) or team target for a period; goals derive from it.

    The partition key is the team, or `company` for a company-wide target.
    """

    event_type: ClassVar[str] = "CompanyTargetSet"
    target_id: UUID
    team_id: TeamId | None
    period_start: date
    period_end: date

    @model_validator(mode="after")
    def _period_is_ordered(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        return self

    def partition_key(self) -> str:
        return self.team_id or "company"


class GoalSet(_Objective):
    """R-A3, R-B4.1: an employee's personal goal derived from a target, over the target's period.

    Appraisal scores attainment as the achieved value (for sales_amount: won deal amounts) against
    this goal's `amount` or `count`. A higher revision replaces the value of the same goal.
    """

    event_type: ClassVar[str] = "GoalSet"
    goal_id: UUID
    target_id: UUID
    employee_id: EmployeeId
    team_id: TeamId | None
    period_start: date
    period_end: date
    cadence: Cadence
    revision: Revision


class GoalProgressReported(_MetricValue):
    """R-A3, R-B2.4: the achieved value for one weekly or monthly period of a goal, a narrative,
    and the plan for the next period; on time or late against the period's deadline."""

    event_type: ClassVar[str] = "GoalProgressReported"
    goal_id: UUID
    target_id: UUID
    employee_id: EmployeeId
    cadence: Cadence
    period_start: date
    period_end: date
    narrative: LongText
    next_period_plan: LongText
    submitted_at: AwareDatetime
    deadline: AwareDatetime
    on_time: bool


class GoalProgressReportMissed(ReportingEvent):
    """R-A3, R-B2.4: no progress report for a goal's period was in by its deadline (derived id)."""

    event_type: ClassVar[str] = "GoalProgressReportMissed"
    goal_id: UUID
    target_id: UUID
    employee_id: EmployeeId
    cadence: Cadence
    period_start: date
    period_end: date
    deadline: AwareDatetime


class MarketReportSubmitted(ReportingEvent):
    """R-B2.3: market movements and competitor information gathered by an employee."""

    event_type: ClassVar[str] = "MarketReportSubmitted"
    report_id: UUID
    employee_id: EmployeeId
    topic: ShortText
    competitors: tuple[ShortText, ...] = Field(max_length=50)
    findings: LongText
    submitted_at: AwareDatetime


class TrainingCompleted(ReportingEvent):
    """R-A6, R-B5.1: training attended, professional reading done, or mentoring received; hours."""

    event_type: ClassVar[str] = "TrainingCompleted"
    entry_id: UUID
    employee_id: EmployeeId
    kind: DevelopmentKind
    title: ShortText
    hours: Hours
    completed_on: date


class CertificationObtained(ReportingEvent):
    """R-B5.2: a vocational qualification or certification passed."""

    event_type: ClassVar[str] = "CertificationObtained"
    entry_id: UUID
    employee_id: EmployeeId
    name: ShortText
    issuer: ShortText
    obtained_on: date
    expires_on: date | None = None

    @model_validator(mode="after")
    def _expiry_after_obtained(self) -> Self:
        if self.expires_on is not None and self.expires_on <= self.obtained_on:
            raise ValueError("expires_on must be after obtained_on")
        return self
