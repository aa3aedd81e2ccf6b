"""Customer inquiries answered promptly against a business-hours deadline (R-A4).

The deadline is fixed when the inquiry arrives (policy budget for its channel, counted in the
responsible employee's business hours), so a later policy change never moves an old deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from daybook_crm.domain.business_time import (
    add_business_minutes,
    business_minutes_between,
    elapsed_minutes,
    require_not_future,
)
from daybook_crm.domain.customers import Customer
from daybook_crm.domain.policy import CrmPolicy
from daybook_shared.contracts import Payload
from daybook_shared.contracts.crm import (
    InquiryChannel,
    InquiryOverdue,
    InquiryReceived,
    InquiryResponded,
    RecordSource,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import NewEvent
from daybook_shared.kit.ids import derived_id


def stream_id(inquiry_id: str) -> str:
    return f"crm-inquiry-{inquiry_id}"


def overdue_event_id(inquiry_id: str) -> UUID:
    """The one id an inquiry's overdue fact can have: a second sweep is refused by the store."""
    return derived_id("crm", "InquiryOverdue", inquiry_id)


@dataclass(frozen=True)
class Inquiry:
    inquiry_id: str
    customer_id: str
    employee_id: str
    received_at: datetime
    respond_by: datetime
    timezone: str
    responded_at: datetime | None = None
    overdue_recorded: bool = False

    @property
    def is_open(self) -> bool:
        return self.responded_at is None


@dataclass(frozen=True)
class ReceiveInquiry:
    """`employee_id` is who must answer; `timezone` is theirs (business hours count in it)."""

    inquiry_id: str
    customer_id: str
    employee_id: str
    timezone: str
    channel: InquiryChannel
    received_at: datetime
    now: datetime
    source: RecordSource = "manual"


@dataclass(frozen=True)
class RespondToInquiry:
    inquiry_id: str
    responded_at: datetime
    now: datetime
    responded_by: str | None = None


@dataclass(frozen=True)
class RecordInquiryOverdue:
    """Run by the overdue sweep: records the fact once when the deadline has passed unanswered."""

    inquiry_id: str
    now: datetime


def evolve(state: Inquiry | None, payload: Payload) -> Inquiry | None:
    match payload:
        case InquiryReceived():
            return Inquiry(
                inquiry_id=payload.inquiry_id,
                customer_id=payload.customer_id,
                employee_id=payload.employee_id,
                received_at=payload.received_at,
                respond_by=payload.respond_by,
                timezone=payload.business_timezone,
            )
        case InquiryResponded() if state is not None:
            return replace(state, responded_at=payload.responded_at)
        case InquiryOverdue() if state is not None:
            return replace(state, overdue_recorded=True)
    return state


def fold(payloads: Iterable[Payload]) -> Inquiry | None:
    state: Inquiry | None = None
    for payload in payloads:
        state = evolve(state, payload)
    return state


def _require(state: Inquiry | None, inquiry_id: str) -> Inquiry:
    if state is None:
        raise NotFound(f"no inquiry {inquiry_id!r}", field="inquiry_id")
    return state


def receive(
    command: ReceiveInquiry, state: Inquiry | None, customer: Customer, policy: CrmPolicy
) -> list[NewEvent]:
    if state is not None:
        raise Conflict(f"inquiry {command.inquiry_id!r} is already recorded", field="inquiry_id")
    require_not_future(command.received_at, command.now, "received_at")
    budget = policy.inquiry_response_minutes[command.channel]
    respond_by = add_business_minutes(
        command.received_at, budget, policy.business_hours, command.timezone
    )
    event = InquiryReceived(
        inquiry_id=command.inquiry_id,
        customer_id=customer.customer_id,
        employee_id=command.employee_id,
        channel=command.channel,
        received_at=command.received_at,
        respond_by=respond_by,
        response_budget_minutes=budget,
        business_timezone=command.timezone,
        source=command.source,
    )
    return [NewEvent(event, command.received_at)]


def respond(command: RespondToInquiry, state: Inquiry | None, policy: CrmPolicy) -> list[NewEvent]:
    """Response time counts business minutes; `within_deadline` compares with `respond_by`."""
    inquiry = _require(state, command.inquiry_id)
    if inquiry.responded_at is not None:
        raise Conflict(
            f"inquiry {command.inquiry_id!r} was already answered at "
            f"{inquiry.responded_at.isoformat()}",
            field="inquiry_id",
        )
    require_not_future(command.responded_at, command.now, "responded_at")
    if command.responded_at < inquiry.received_at:
        raise InvalidCommand(
            "responded_at is before the inquiry was received", field="responded_at"
        )
    event = InquiryResponded(
        inquiry_id=inquiry.inquiry_id,
        customer_id=inquiry.customer_id,
        employee_id=inquiry.employee_id,
        responded_by=command.responded_by,
        received_at=inquiry.received_at,
        respond_by=inquiry.respond_by,
        responded_at=command.responded_at,
        response_business_minutes=business_minutes_between(
            inquiry.received_at, command.responded_at, policy.business_hours, inquiry.timezone
        ),
        response_elapsed_minutes=elapsed_minutes(inquiry.received_at, command.responded_at),
        within_deadline=command.responded_at <= inquiry.respond_by,
        was_overdue=inquiry.overdue_recorded,
    )
    return [NewEvent(event, command.responded_at)]


def record_overdue(command: RecordInquiryOverdue, state: Inquiry | None) -> list[NewEvent]:
    """Nothing when answered, not yet due, or already recorded: the sweep may run any number of
    times, on any number of replicas (R-A4)."""
    inquiry = _require(state, command.inquiry_id)
    if not inquiry.is_open or inquiry.overdue_recorded or command.now <= inquiry.respond_by:
        return []
    event = InquiryOverdue(
        inquiry_id=inquiry.inquiry_id,
        customer_id=inquiry.customer_id,
        employee_id=inquiry.employee_id,
        respond_by=inquiry.respond_by,
    )
    return [NewEvent(event, inquiry.respond_by, event_id=overdue_event_id(inquiry.inquiry_id))]
