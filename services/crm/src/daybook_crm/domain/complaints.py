"""Complaints and disputes handled properly, against a deadline by severity (R-B3.3)."""

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
    ComplaintFiled,
    ComplaintKind,
    ComplaintOutcome,
    ComplaintOverdue,
    ComplaintResolved,
    ComplaintSeverity,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import NewEvent
from daybook_shared.kit.ids import derived_id


def stream_id(complaint_id: str) -> str:
    return f"crm-complaint-{complaint_id}"


def overdue_event_id(complaint_id: str) -> UUID:
    """The one id a complaint's overdue fact can have: a second sweep is refused by the store."""
    return derived_id("crm", "ComplaintOverdue", complaint_id)


@dataclass(frozen=True)
class Complaint:
    complaint_id: str
    customer_id: str
    employee_id: str
    severity: ComplaintSeverity
    filed_at: datetime
    resolve_by: datetime
    timezone: str
    resolved_at: datetime | None = None
    overdue_recorded: bool = False

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class FileComplaint:
    """`employee_id` is who must handle it; `timezone` is theirs (business hours count in it)."""

    complaint_id: str
    customer_id: str
    employee_id: str
    timezone: str
    kind: ComplaintKind
    severity: ComplaintSeverity
    filed_at: datetime
    now: datetime


@dataclass(frozen=True)
class ResolveComplaint:
    complaint_id: str
    outcome: ComplaintOutcome
    resolved_at: datetime
    now: datetime
    resolved_by: str | None = None


@dataclass(frozen=True)
class RecordComplaintOverdue:
    complaint_id: str
    now: datetime


def evolve(state: Complaint | None, payload: Payload) -> Complaint | None:
    match payload:
        case ComplaintFiled():
            return Complaint(
                complaint_id=payload.complaint_id,
                customer_id=payload.customer_id,
                employee_id=payload.employee_id,
                severity=payload.severity,
                filed_at=payload.filed_at,
                resolve_by=payload.resolve_by,
                timezone=payload.business_timezone,
            )
        case ComplaintResolved() if state is not None:
            return replace(state, resolved_at=payload.resolved_at)
        case ComplaintOverdue() if state is not None:
            return replace(state, overdue_recorded=True)
    return state


def fold(payloads: Iterable[Payload]) -> Complaint | None:
    state: Complaint | None = None
    for payload in payloads:
        state = evolve(state, payload)
    return state


def _require(state: Complaint | None, complaint_id: str) -> Complaint:
    if state is None:
        raise NotFound(f"no complaint {complaint_id!r}", field="complaint_id")
    return state


def file(
    command: FileComplaint, state: Complaint | None, customer: Customer, policy: CrmPolicy
) -> list[NewEvent]:
    if state is not None:
        raise Conflict(f"complaint {command.complaint_id!r} is already filed", field="complaint_id")
    require_not_future(command.filed_at, command.now, "filed_at")
    budget = policy.complaint_resolution_minutes[command.severity]
    event = ComplaintFiled(
        complaint_id=command.complaint_id,
        customer_id=customer.customer_id,
        employee_id=command.employee_id,
        kind=command.kind,
        severity=command.severity,
        filed_at=command.filed_at,
        resolve_by=add_business_minutes(
            command.filed_at, budget, policy.business_hours, command.timezone
        ),
        resolution_budget_minutes=budget,
        business_timezone=command.timezone,
    )
    return [NewEvent(event, command.filed_at)]


def resolve(
    command: ResolveComplaint, state: Complaint | None, policy: CrmPolicy
) -> list[NewEvent]:
    """Resolution time counts business minutes; `within_deadline` compares with `resolve_by`."""
    complaint = _require(state, command.complaint_id)
    if complaint.resolved_at is not None:
        raise Conflict(
            f"complaint {command.complaint_id!r} was already resolved at "
            f"{complaint.resolved_at.isoformat()}",
            field="complaint_id",
        )
    require_not_future(command.resolved_at, command.now, "resolved_at")
    if command.resolved_at < complaint.filed_at:
        raise InvalidCommand("resolved_at is before the complaint was filed", field="resolved_at")
    event = ComplaintResolved(
        complaint_id=complaint.complaint_id,
        customer_id=complaint.customer_id,
        employee_id=complaint.employee_id,
        resolved_by=command.resolved_by,
        severity=complaint.severity,
        outcome=command.outcome,
        filed_at=complaint.filed_at,
        resolve_by=complaint.resolve_by,
        resolved_at=command.resolved_at,
        resolution_business_minutes=business_minutes_between(
            complaint.filed_at, command.resolved_at, policy.business_hours, complaint.timezone
        ),
        resolution_elapsed_minutes=elapsed_minutes(complaint.filed_at, command.resolved_at),
        within_deadline=command.resolved_at <= complaint.resolve_by,
        was_overdue=complaint.overdue_recorded,
    )
    return [NewEvent(event, command.resolved_at)]


def record_overdue(command: RecordComplaintOverdue, state: Complaint | None) -> list[NewEvent]:
    """Nothing when resolved, not yet due, or already recorded (R-B3.3)."""
    complaint = _require(state, command.complaint_id)
    if not complaint.is_open or complaint.overdue_recorded or command.now <= complaint.resolve_by:
        return []
    event = ComplaintOverdue(
        complaint_id=complaint.complaint_id,
        customer_id=complaint.customer_id,
        employee_id=complaint.employee_id,
        severity=complaint.severity,
        resolve_by=complaint.resolve_by,
    )
    return [
        NewEvent(event, complaint.resolve_by, event_id=overdue_event_id(complaint.complaint_id))
    ]
