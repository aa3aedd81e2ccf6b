"""Gift declarations and conduct breaches (R-B3.2, R-B3.4): discipline facts, not scores.

An accepted gift carries a severity from the gift policy; a breach carries the severity its
reporter gave. The appraisal's discipline rules act on both, whatever the employee's score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from daybook_crm.domain.business_time import require_not_future
from daybook_crm.domain.policy import GiftPolicy
from daybook_shared.contracts import Money
from daybook_shared.contracts.crm import (
    ConductBreachKind,
    ConductBreachReported,
    ConductSeverity,
    GiftDecision,
    GiftDeclared,
    GiftKind,
)
from daybook_shared.errors import Conflict, Forbidden, InvalidCommand
from daybook_shared.kit.eventstore import NewEvent

RULES_BROKEN: dict[ConductBreachKind, tuple[str, ...]] = {
    "improper_dealing": ("R-B3.2",),
    "confidentiality_breach": ("R-B3.4",),
}


def gift_stream_id(declaration_id: str) -> str:
    return f"crm-gift-{declaration_id}"


def breach_stream_id(report_id: str) -> str:
    return f"crm-conduct-{report_id}"


@dataclass(frozen=True)
class DeclareGift:
    declaration_id: str
    employee_id: str
    kind: GiftKind
    decision: GiftDecision
    value: Money
    at: datetime
    now: datetime
    customer_id: str | None = None


@dataclass(frozen=True)
class ReportConductBreach:
    """`reporter_role` is the caller's role; `supervisor_of_employee` comes from the roster."""

    report_id: str
    employee_id: str
    kind: ConductBreachKind
    severity: ConductSeverity
    reporter_id: str | None
    reporter_role: str
    supervisor_of_employee: str | None
    occurred_on: date
    today: date
    at: datetime
    customer_id: str | None = None


def declare_gift(
    command: DeclareGift, already_declared: bool, policy: GiftPolicy
) -> list[NewEvent]:
    """R-B3.2: no accepting goods or money. Declining is recorded too, with no severity."""
    if already_declared:
        raise Conflict(
            f"declaration {command.declaration_id!r} is already recorded", field="declaration_id"
        )
    if command.value.amount < 0:
        raise InvalidCommand("value cannot be negative", field="value")
    require_not_future(command.at, command.now, "at")
    severity = (
        policy.severity_of_accepted(command.kind, command.value)
        if command.decision == "accepted"
        else None
    )
    event = GiftDeclared(
        declaration_id=command.declaration_id,
        employee_id=command.employee_id,
        customer_id=command.customer_id,
        kind=command.kind,
        decision=command.decision,
        value=command.value,
        severity=severity,
    )
    return [NewEvent(event, command.at)]


def report_breach(command: ReportConductBreach, already_reported: bool) -> list[NewEvent]:
    """Only hr, or the employee's own supervisor, reports a breach (R-B3.2, R-B3.4)."""
    if already_reported:
        raise Conflict(f"report {command.report_id!r} is already recorded", field="report_id")
    if command.reporter_id == command.employee_id:
        raise Forbidden(
            "a breach is reported by a supervisor or hr, not by the employee", field="employee_id"
        )
    if command.reporter_role == "supervisor":
        if command.reporter_id is None or command.supervisor_of_employee != command.reporter_id:
            raise Forbidden(
                f"{command.reporter_id!r} does not supervise {command.employee_id!r}",
                field="employee_id",
            )
    elif command.reporter_role != "hr":
        raise Forbidden("only a supervisor or hr reports a conduct breach")
    if command.occurred_on > command.today:
        raise InvalidCommand("occurred_on is in the future", field="occurred_on")
    event = ConductBreachReported(
        report_id=command.report_id,
        employee_id=command.employee_id,
        kind=command.kind,
        severity=command.severity,
        reported_by=command.reporter_id,
        reporter_role=command.reporter_role,
        occurred_on=command.occurred_on,
        customer_id=command.customer_id,
        rule_ids=RULES_BROKEN[command.kind],
    )
    return [NewEvent(event, command.at)]
