"""Crm context events: customer work turned into facts the appraisal counts.

Personal data stays home (R-B3.4): no payload here carries a customer's name, contact details,
free-text notes or messages. Events carry ids, codes, times, amounts and scores only; the details
live in the crm service's own tables.

Every event names the employee it counts for in `employee_id` (the subject's partition key):
the owning salesperson for customer records and stale-record sweeps (R-A5), the responsible
salesperson for inquiries (R-A4) and complaints (R-B3.3), the deal owner for deals (R-B1.1), the
serving salesperson for ratings (R-B4.1), and the declaring or reported employee for gifts and
conduct (R-B3.2, R-B3.4).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from daybook_shared.contracts.base import (
    CustomerId,
    EmployeeId,
    Identifier,
    Money,
    Payload,
    RuleId,
)
from daybook_shared.contracts.hr import TimeZoneName

RecordSource = Literal["manual", "webhook", "import"]
"""How a fact reached crm: its own API, an existing CRM's webhook, or a bulk import."""

InteractionChannel = Literal["call", "visit", "message", "email", "meeting"]
InquiryChannel = Literal["phone", "email", "chat", "web_form", "visit", "social", "other"]
ComplaintKind = Literal["complaint", "dispute"]
ComplaintSeverity = Literal["low", "medium", "high", "critical"]
ComplaintOutcome = Literal["upheld", "partially_upheld", "rejected", "withdrawn"]
DealStage = Literal["lead", "qualified", "proposal", "negotiation"]
DealLostReason = Literal[
    "price", "competitor", "no_budget", "no_decision", "timing", "product_fit", "other"
]
GiftKind = Literal["gift", "hospitality", "cash", "voucher", "discount", "other"]
GiftDecision = Literal["declined", "accepted"]
ConductSeverity = Literal["minor", "major", "serious"]
"""Discipline weight of a conduct fact; the appraisal policy maps it to a level (R-B4.3)."""
ConductBreachKind = Literal["improper_dealing", "confidentiality_breach"]
ReporterRole = Literal["supervisor", "hr"]
CompletenessPercent = Annotated[int, Field(ge=0, le=100)]
Rating = Annotated[int, Field(ge=1, le=5)]
Minutes = Annotated[int, Field(ge=0)]


class CrmEvent(Payload):
    context: ClassVar[str] = "crm"


# Customers (R-A5) ---------------------------------------------------------------------------


class CustomerRegistered(CrmEvent):
    """A customer record was created, owned by `employee_id`; `completeness` is the share of
    profile fields filled, in percent."""

    event_type: ClassVar[str] = "CustomerRegistered"
    customer_id: CustomerId
    employee_id: EmployeeId
    completeness: CompletenessPercent
    source: RecordSource = "manual"


class CustomerRecordUpdated(CrmEvent):
    """The owner's record was maintained: which fields changed (names only) and the new
    completeness, never the data itself (R-B3.4)."""

    event_type: ClassVar[str] = "CustomerRecordUpdated"
    customer_id: CustomerId
    employee_id: EmployeeId
    completeness: CompletenessPercent
    previous_completeness: CompletenessPercent
    changed_fields: tuple[Identifier, ...] = Field(min_length=1)
    source: RecordSource = "manual"


class CustomerReassigned(CrmEvent):
    """Ownership moved to `employee_id` from `previous_employee_id`."""

    event_type: ClassVar[str] = "CustomerReassigned"
    customer_id: CustomerId
    employee_id: EmployeeId
    previous_employee_id: EmployeeId
    completeness: CompletenessPercent
    source: RecordSource = "manual"


class CustomerRecordsStale(CrmEvent):
    """The periodic sweep found records of this owner not maintained within `threshold_days`
    as of `as_of` (R-A5). One per owner and day (deterministic event id)."""

    event_type: ClassVar[str] = "CustomerRecordsStale"
    employee_id: EmployeeId
    as_of: date
    threshold_days: int = Field(ge=1)
    stale_customer_ids: tuple[CustomerId, ...] = Field(min_length=1)
    stale_count: int = Field(ge=1)
    owned_count: int = Field(ge=1)


class InteractionLogged(CrmEvent):
    """A call, visit, message, email or meeting with a customer (R-A4); the notes stay in crm."""

    event_type: ClassVar[str] = "InteractionLogged"
    interaction_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    channel: InteractionChannel
    duration_minutes: Minutes | None = None


# Inquiries (R-A4) ---------------------------------------------------------------------------


class InquiryReceived(CrmEvent):
    """A customer asked something; `respond_by` is `received_at` plus the policy's
    `response_budget_minutes` of business time in `business_timezone` (the responsible
    employee's)."""

    event_type: ClassVar[str] = "InquiryReceived"
    inquiry_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    channel: InquiryChannel
    received_at: AwareDatetime
    respond_by: AwareDatetime
    response_budget_minutes: int = Field(ge=1)
    business_timezone: TimeZoneName
    source: RecordSource = "manual"


class InquiryResponded(CrmEvent):
    """The inquiry was answered. `response_business_minutes` counts business time only;
    `within_deadline` compares `responded_at` with `respond_by` (R-A4)."""

    event_type: ClassVar[str] = "InquiryResponded"
    inquiry_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    responded_by: EmployeeId | None = None
    received_at: AwareDatetime
    respond_by: AwareDatetime
    responded_at: AwareDatetime
    response_business_minutes: Minutes
    response_elapsed_minutes: Minutes
    within_deadline: bool
    was_overdue: bool = False


class InquiryOverdue(CrmEvent):
    """The deadline passed with no response; recorded once (deterministic event id) at
    `respond_by`. A later response is still recorded, as late (R-A4)."""

    event_type: ClassVar[str] = "InquiryOverdue"
    inquiry_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    respond_by: AwareDatetime


# Complaints and disputes (R-B3.3) -----------------------------------------------------------


class ComplaintFiled(CrmEvent):
    """A complaint or dispute to be resolved by `resolve_by` (business time, by severity)."""

    event_type: ClassVar[str] = "ComplaintFiled"
    complaint_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    kind: ComplaintKind = "complaint"
    severity: ComplaintSeverity
    filed_at: AwareDatetime
    resolve_by: AwareDatetime
    resolution_budget_minutes: int = Field(ge=1)
    business_timezone: TimeZoneName


class ComplaintResolved(CrmEvent):
    """The complaint was resolved; resolution time in business and elapsed minutes, and whether
    within the deadline (R-B3.3)."""

    event_type: ClassVar[str] = "ComplaintResolved"
    complaint_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    resolved_by: EmployeeId | None = None
    severity: ComplaintSeverity
    outcome: ComplaintOutcome
    filed_at: AwareDatetime
    resolve_by: AwareDatetime
    resolved_at: AwareDatetime
    resolution_business_minutes: Minutes
    resolution_elapsed_minutes: Minutes
    within_deadline: bool
    was_overdue: bool = False


class ComplaintOverdue(CrmEvent):
    """The resolution deadline passed unresolved; recorded once at `resolve_by` (R-B3.3)."""

    event_type: ClassVar[str] = "ComplaintOverdue"
    complaint_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    severity: ComplaintSeverity
    resolve_by: AwareDatetime


# Deals (R-B1.1, R-B4.1) ---------------------------------------------------------------------


class DealOpened(CrmEvent):
    event_type: ClassVar[str] = "DealOpened"
    deal_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    stage: DealStage = "lead"
    expected_amount: Money | None = None
    source: RecordSource = "manual"


class DealStageChanged(CrmEvent):
    """An open deal moved through the pipeline (for the pipeline view; not scored)."""

    event_type: ClassVar[str] = "DealStageChanged"
    deal_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    stage: DealStage
    previous_stage: DealStage
    expected_amount: Money | None = None


class DealWon(CrmEvent):
    """A sale closed: `amount` counts towards the owner's sales attainment (R-B1.1, R-B4.1)."""

    event_type: ClassVar[str] = "DealWon"
    deal_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    amount: Money


class DealLost(CrmEvent):
    event_type: ClassVar[str] = "DealLost"
    deal_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    reason: DealLostReason


# Satisfaction (R-B4.1) ----------------------------------------------------------------------


class SatisfactionRated(CrmEvent):
    """A customer's rating, 1 (poor) to 5 (excellent), of the salesperson who served them."""

    event_type: ClassVar[str] = "SatisfactionRated"
    rating_id: Identifier
    customer_id: CustomerId
    employee_id: EmployeeId
    rating: Rating
    source: RecordSource = "manual"


# Conduct (R-B3.2, R-B3.4) -------------------------------------------------------------------


class GiftDeclared(CrmEvent):
    """A gift or benefit offered to the employee, declined or accepted (R-B3.2).

    An accepted one carries a `severity` from the crm gift policy (by kind and value), which the
    appraisal's discipline rules act on; a declined one has none.
    """

    event_type: ClassVar[str] = "GiftDeclared"
    declaration_id: Identifier
    employee_id: EmployeeId
    customer_id: CustomerId | None = None
    kind: GiftKind
    decision: GiftDecision
    value: Money
    severity: ConductSeverity | None = None
    rule_ids: tuple[RuleId, ...] = ("R-B3.2",)


class ConductBreachReported(CrmEvent):
    """A supervisor or hr reported a conduct breach by `employee_id`: improper dealing
    (R-B3.2) or a confidentiality breach (R-B3.4). The description stays in crm.
    `reported_by` is the reporter's employee id (an hr service account may have none; the
    envelope's `actor_id` always names the caller)."""

    event_type: ClassVar[str] = "ConductBreachReported"
    report_id: Identifier
    employee_id: EmployeeId
    kind: ConductBreachKind
    severity: ConductSeverity
    reporter_role: ReporterRole
    reported_by: EmployeeId | None = None
    occurred_on: date
    customer_id: CustomerId | None = None
    rule_ids: tuple[RuleId, ...] = Field(min_length=1)
