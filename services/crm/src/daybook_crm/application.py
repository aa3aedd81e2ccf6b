"""Command handlers: check who may act, load the stream, decide, append, keep the views in step.

Each handler runs inside one `UnitOfWork` (one PostgreSQL transaction) and returns the JSON answer
that is also stored against the caller's idempotency key. Customer details and free texts are
written to crm's own tables beside the events, never into them (R-B3.4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg

from daybook_crm.domain import (
    complaints,
    conduct,
    customers,
    deals,
    inquiries,
    interactions,
    satisfaction,
    staleness,
)
from daybook_crm.domain.access import RosterEntry, Viewer, may_act_for
from daybook_crm.domain.policy import CrmPolicy
from daybook_crm.projections import apply_own
from daybook_shared.contracts import Event, Money, Payload
from daybook_shared.contracts.crm import (
    ComplaintFiled,
    ComplaintKind,
    ComplaintOutcome,
    ComplaintResolved,
    ComplaintSeverity,
    ConductBreachKind,
    ConductSeverity,
    CustomerRecordsStale,
    CustomerRecordUpdated,
    CustomerRegistered,
    DealStage,
    GiftDecision,
    GiftDeclared,
    GiftKind,
    InquiryChannel,
    InquiryReceived,
    InquiryResponded,
    InteractionChannel,
    RecordSource,
)
from daybook_shared.errors import Forbidden, InvalidCommand
from daybook_shared.kit.eventstore import DuplicateEventError, NewEvent, UnitOfWork
from daybook_shared.runtime.auth import Principal
from daybook_shared.runtime.service import ServiceKit

S = TypeVar("S")
P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the handlers need it (free of the web framework)."""

    subject: str
    role: str
    employee_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Caller:
        return cls(principal.subject, principal.role.value, principal.employee_id)

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.role, self.employee_id)


# Roster and access ------------------------------------------------------------------------------


async def roster_entry(conn: asyncpg.Connection, employee_id: str | None) -> RosterEntry | None:
    if employee_id is None:
        return None
    row = await conn.fetchrow(
        """SELECT employee_id, team_id, supervisor_id, role, timezone, active
           FROM roster WHERE employee_id = $1""",
        employee_id,
    )
    return RosterEntry(**dict(row)) if row is not None else None


async def require_active_employee(
    conn: asyncpg.Connection, employee_id: str, field: str
) -> RosterEntry:
    entry = await roster_entry(conn, employee_id)
    if entry is None or not entry.active:
        raise InvalidCommand(
            f"{employee_id!r} is not an active employee on the roster", field=field
        )
    return entry


async def may_act(conn: asyncpg.Connection, caller: Caller, employee_id: str) -> bool:
    employee = await roster_entry(conn, employee_id)
    own = await roster_entry(conn, caller.employee_id)
    return may_act_for(caller.viewer, employee_id, employee, own)


async def require_access(
    conn: asyncpg.Connection, caller: Caller, employee_id: str, what: str
) -> None:
    """Forbidden unless the caller may act for `employee_id` (own, team, or hr)."""
    if not await may_act(conn, caller, employee_id):
        raise Forbidden(f"{caller.subject} may not {what} for employee {employee_id!r}")


def require_role(caller: Caller, roles: Iterable[str], what: str) -> None:
    allowed = sorted(roles)
    if caller.role not in allowed:
        raise Forbidden(f"role {caller.role!r} may not {what}; allowed: {', '.join(allowed)}")


def _timezone(entry: RosterEntry | None, policy: CrmPolicy) -> str:
    return entry.timezone if entry is not None else policy.default_timezone


# Streams ------------------------------------------------------------------------------------


async def load(
    uow: UnitOfWork, stream_id: str, fold: Callable[[Iterable[Payload]], S]
) -> tuple[S, list[Event]]:
    events = await uow.load(stream_id)
    return fold(e.payload for e in events), events


async def append(uow: UnitOfWork, stream_id: str, new: Sequence[NewEvent]) -> list[Event]:
    stored = await uow.append(stream_id, new)
    await apply_own(uow.conn, stored)
    return stored


def answer(stored: Sequence[Event], **facts: Any) -> dict[str, Any]:
    return {**facts, "recorded": [e.event_type for e in stored]}


def first(stored: Sequence[Event], kind: type[P]) -> P:
    """The first stored payload, typed (decisions that record one fact record it first)."""
    payload = stored[0].payload
    if not isinstance(payload, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(payload).__name__}")
    return payload


async def load_customer(uow: UnitOfWork, customer_id: str) -> customers.Customer:
    state, _ = await load(uow, customers.stream_id(customer_id), customers.fold)
    return customers.require_customer(state, customer_id)


async def _set_text(
    conn: asyncpg.Connection,
    table: str,
    key: str,
    key_value: str,
    column: str,
    text: str | None,
) -> None:
    # Table and column names come from this module only, never from a request.
    if text is not None:
        await conn.execute(f"UPDATE {table} SET {column} = $2 WHERE {key} = $1", key_value, text)


# Customers (R-A5) ---------------------------------------------------------------------------


async def register(uow: UnitOfWork, command: customers.RegisterCustomer) -> list[Event]:
    """Register and store the details beside the event (no access check: callers do it)."""
    state, _ = await load(uow, customers.stream_id(command.customer_id), customers.fold)
    stored = await append(
        uow, customers.stream_id(command.customer_id), customers.decide(command, state)
    )
    await uow.conn.execute(
        "UPDATE customers SET details = $2 WHERE customer_id = $1",
        command.customer_id,
        customers.normalised(command.profile),
    )
    return stored


async def update(
    uow: UnitOfWork,
    customer_id: str,
    changes: Mapping[str, str | None],
    at: datetime,
    now: datetime,
    source: RecordSource = "manual",
) -> list[Event]:
    state, _ = await load(uow, customers.stream_id(customer_id), customers.fold)
    customers.require_customer(state, customer_id)
    current = (
        await uow.conn.fetchval(
            "SELECT details FROM customers WHERE customer_id = $1 FOR UPDATE", customer_id
        )
        or {}
    )
    command = customers.UpdateCustomer(customer_id, changes, current, at, now, source)
    stored = await append(uow, customers.stream_id(customer_id), customers.decide(command, state))
    if stored:
        await uow.conn.execute(
            "UPDATE customers SET details = $2 WHERE customer_id = $1",
            customer_id,
            customers.with_changes(current, changes),
        )
    return stored


async def reassign(uow: UnitOfWork, command: customers.ReassignCustomer) -> list[Event]:
    state, _ = await load(uow, customers.stream_id(command.customer_id), customers.fold)
    return await append(
        uow, customers.stream_id(command.customer_id), customers.decide(command, state)
    )


async def register_customer(
    uow: UnitOfWork,
    caller: Caller,
    *,
    customer_id: str,
    owner_id: str,
    profile: Mapping[str, str | None],
    at: datetime,
    now: datetime,
) -> dict[str, Any]:
    await require_active_employee(uow.conn, owner_id, "owner_employee_id")
    await require_access(uow.conn, caller, owner_id, "register customers")
    stored = await register(
        uow, customers.RegisterCustomer(customer_id, owner_id, profile, at, now)
    )
    return answer(
        stored,
        customer_id=customer_id,
        owner_employee_id=owner_id,
        completeness=first(stored, CustomerRegistered).completeness,
    )


async def update_customer(
    uow: UnitOfWork,
    caller: Caller,
    *,
    customer_id: str,
    changes: Mapping[str, str | None],
    at: datetime,
    now: datetime,
) -> dict[str, Any]:
    customer = await load_customer(uow, customer_id)
    await require_access(uow.conn, caller, customer.owner_id, "update customers")
    stored = await update(uow, customer_id, changes, at, now)
    completeness = (
        first(stored, CustomerRecordUpdated).completeness if stored else customer.completeness
    )
    return answer(stored, customer_id=customer_id, completeness=completeness)


async def reassign_customer(
    uow: UnitOfWork,
    caller: Caller,
    *,
    customer_id: str,
    new_owner_id: str,
    at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Supervisors within their team, hr anywhere."""
    require_role(caller, {"supervisor", "hr"}, "reassign customers")
    customer = await load_customer(uow, customer_id)
    await require_access(uow.conn, caller, customer.owner_id, "reassign customers")
    await require_active_employee(uow.conn, new_owner_id, "new_owner_employee_id")
    await require_access(uow.conn, caller, new_owner_id, "assign customers")
    stored = await reassign(uow, customers.ReassignCustomer(customer_id, new_owner_id, at, now))
    return answer(stored, customer_id=customer_id, owner_employee_id=new_owner_id)


async def log_interaction(
    uow: UnitOfWork,
    caller: Caller,
    *,
    interaction_id: str,
    customer_id: str,
    employee_id: str | None,
    channel: InteractionChannel,
    at: datetime,
    now: datetime,
    duration_minutes: int | None,
    notes: str | None,
) -> dict[str, Any]:
    customer = await load_customer(uow, customer_id)
    await require_access(uow.conn, caller, customer.owner_id, "log interactions")
    who = employee_id or caller.employee_id or customer.owner_id
    await require_access(uow.conn, caller, who, "log interactions")
    stream = interactions.stream_id(interaction_id)
    _, existing = await load(uow, stream, list)
    command = interactions.LogInteraction(
        interaction_id, customer_id, who, channel, at, now, duration_minutes
    )
    stored = await append(uow, stream, interactions.decide(command, customer, bool(existing)))
    await _set_text(uow.conn, "interactions", "interaction_id", interaction_id, "notes", notes)
    return answer(stored, interaction_id=interaction_id, employee_id=who)


# Inquiries (R-A4) ---------------------------------------------------------------------------


async def receive(
    uow: UnitOfWork,
    policy: CrmPolicy,
    *,
    inquiry_id: str,
    customer: customers.Customer,
    employee_id: str,
    channel: InquiryChannel,
    received_at: datetime,
    now: datetime,
    source: RecordSource = "manual",
    subject: str | None = None,
) -> list[Event]:
    responsible = await require_active_employee(uow.conn, employee_id, "employee_id")
    stream = inquiries.stream_id(inquiry_id)
    state, _ = await load(uow, stream, inquiries.fold)
    command = inquiries.ReceiveInquiry(
        inquiry_id,
        customer.customer_id,
        employee_id,
        _timezone(responsible, policy),
        channel,
        received_at,
        now,
        source,
    )
    stored = await append(uow, stream, inquiries.receive(command, state, customer, policy))
    await _set_text(uow.conn, "inquiries", "inquiry_id", inquiry_id, "subject", subject)
    return stored


async def respond(
    uow: UnitOfWork, policy: CrmPolicy, command: inquiries.RespondToInquiry
) -> list[Event]:
    stream = inquiries.stream_id(command.inquiry_id)
    state, _ = await load(uow, stream, inquiries.fold)
    return await append(uow, stream, inquiries.respond(command, state, policy))


async def receive_inquiry(
    uow: UnitOfWork,
    caller: Caller,
    policy: CrmPolicy,
    *,
    inquiry_id: str,
    customer_id: str,
    employee_id: str | None,
    channel: InquiryChannel,
    received_at: datetime,
    now: datetime,
    subject: str | None,
) -> dict[str, Any]:
    customer = await load_customer(uow, customer_id)
    await require_access(uow.conn, caller, customer.owner_id, "record inquiries")
    responsible = employee_id or customer.owner_id
    await require_access(uow.conn, caller, responsible, "assign inquiries")
    stored = await receive(
        uow,
        policy,
        inquiry_id=inquiry_id,
        customer=customer,
        employee_id=responsible,
        channel=channel,
        received_at=received_at,
        now=now,
        subject=subject,
    )
    received = first(stored, InquiryReceived)
    return answer(
        stored,
        inquiry_id=inquiry_id,
        employee_id=responsible,
        respond_by=received.respond_by.isoformat(),
    )


async def respond_to_inquiry(
    uow: UnitOfWork,
    caller: Caller,
    policy: CrmPolicy,
    *,
    inquiry_id: str,
    responded_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    state, _ = await load(uow, inquiries.stream_id(inquiry_id), inquiries.fold)
    if state is not None:
        await require_access(uow.conn, caller, state.employee_id, "answer inquiries")
    stored = await respond(
        uow,
        policy,
        inquiries.RespondToInquiry(inquiry_id, responded_at, now, caller.employee_id),
    )
    responded = first(stored, InquiryResponded)
    return answer(
        stored,
        inquiry_id=inquiry_id,
        within_deadline=responded.within_deadline,
        response_business_minutes=responded.response_business_minutes,
    )


# Complaints (R-B3.3) ------------------------------------------------------------------------


async def file_complaint(
    uow: UnitOfWork,
    caller: Caller,
    policy: CrmPolicy,
    *,
    complaint_id: str,
    customer_id: str,
    employee_id: str | None,
    kind: ComplaintKind,
    severity: ComplaintSeverity,
    filed_at: datetime,
    now: datetime,
    description: str | None,
) -> dict[str, Any]:
    customer = await load_customer(uow, customer_id)
    await require_access(uow.conn, caller, customer.owner_id, "file complaints")
    responsible_id = employee_id or customer.owner_id
    await require_access(uow.conn, caller, responsible_id, "assign complaints")
    responsible = await require_active_employee(uow.conn, responsible_id, "employee_id")
    stream = complaints.stream_id(complaint_id)
    state, _ = await load(uow, stream, complaints.fold)
    command = complaints.FileComplaint(
        complaint_id,
        customer_id,
        responsible_id,
        _timezone(responsible, policy),
        kind,
        severity,
        filed_at,
        now,
    )
    stored = await append(uow, stream, complaints.file(command, state, customer, policy))
    await _set_text(
        uow.conn, "complaints", "complaint_id", complaint_id, "description", description
    )
    return answer(
        stored,
        complaint_id=complaint_id,
        employee_id=responsible_id,
        resolve_by=first(stored, ComplaintFiled).resolve_by.isoformat(),
    )


async def resolve_complaint(
    uow: UnitOfWork,
    caller: Caller,
    policy: CrmPolicy,
    *,
    complaint_id: str,
    outcome: ComplaintOutcome,
    resolved_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    stream = complaints.stream_id(complaint_id)
    state, _ = await load(uow, stream, complaints.fold)
    if state is not None:
        await require_access(uow.conn, caller, state.employee_id, "resolve complaints")
    command = complaints.ResolveComplaint(
        complaint_id, outcome, resolved_at, now, caller.employee_id
    )
    stored = await append(uow, stream, complaints.resolve(command, state, policy))
    return answer(
        stored,
        complaint_id=complaint_id,
        within_deadline=first(stored, ComplaintResolved).within_deadline,
    )


# Deals (R-B1.1) -----------------------------------------------------------------------------


async def open_deal_for(
    uow: UnitOfWork, customer: customers.Customer, command: deals.OpenDeal
) -> list[Event]:
    await require_active_employee(uow.conn, command.owner_id, "employee_id")
    stream = deals.stream_id(command.deal_id)
    state, _ = await load(uow, stream, deals.fold)
    return await append(uow, stream, deals.open_deal(command, state, customer))


async def decide_on_deal(
    uow: UnitOfWork, deal_id: str, decide: Callable[[deals.Deal | None], list[NewEvent]]
) -> list[Event]:
    stream = deals.stream_id(deal_id)
    state, _ = await load(uow, stream, deals.fold)
    return await append(uow, stream, decide(state))


async def open_deal(
    uow: UnitOfWork,
    caller: Caller,
    *,
    deal_id: str,
    customer_id: str,
    employee_id: str | None,
    stage: DealStage,
    expected_amount: Money | None,
    at: datetime,
    now: datetime,
    title: str | None,
) -> dict[str, Any]:
    customer = await load_customer(uow, customer_id)
    await require_access(uow.conn, caller, customer.owner_id, "open deals")
    owner = employee_id or customer.owner_id
    await require_access(uow.conn, caller, owner, "open deals")
    stored = await open_deal_for(
        uow,
        customer,
        deals.OpenDeal(deal_id, customer_id, owner, stage, expected_amount, at, now),
    )
    await _set_text(uow.conn, "deals", "deal_id", deal_id, "title", title)
    return answer(stored, deal_id=deal_id, employee_id=owner)


async def act_on_deal(
    uow: UnitOfWork,
    caller: Caller,
    deal_id: str,
    decide: Callable[[deals.Deal | None], list[NewEvent]],
) -> dict[str, Any]:
    state, _ = await load(uow, deals.stream_id(deal_id), deals.fold)
    if state is not None:
        await require_access(uow.conn, caller, state.owner_id, "work on deals")
    stored = await decide_on_deal(uow, deal_id, decide)
    return answer(stored, deal_id=deal_id)


def change_stage(command: deals.ChangeDealStage) -> Callable[[deals.Deal | None], list[NewEvent]]:
    return lambda state: deals.change_stage(command, state)


def win(command: deals.WinDeal) -> Callable[[deals.Deal | None], list[NewEvent]]:
    return lambda state: deals.win(command, state)


def lose(command: deals.LoseDeal) -> Callable[[deals.Deal | None], list[NewEvent]]:
    return lambda state: deals.lose(command, state)


# Satisfaction (R-B4.1) ----------------------------------------------------------------------


async def rate(
    uow: UnitOfWork, customer: customers.Customer, command: satisfaction.RateSatisfaction
) -> list[Event]:
    if command.served_by is not None:
        await require_active_employee(uow.conn, command.served_by, "served_by")
    stream = satisfaction.stream_id(command.rating_id)
    _, existing = await load(uow, stream, list)
    return await append(uow, stream, satisfaction.decide(command, customer, bool(existing)))


async def rate_satisfaction(
    uow: UnitOfWork,
    caller: Caller,
    *,
    rating_id: str,
    customer_id: str,
    rating: int,
    served_by: str | None,
    at: datetime,
    now: datetime,
    comment: str | None,
) -> dict[str, Any]:
    """A rating comes from the customer (a survey, an existing CRM), entered by a supervisor,
    hr or the integration role; never by the salesperson it rates."""
    require_role(caller, {"supervisor", "hr", "integration"}, "record satisfaction ratings")
    customer = await load_customer(uow, customer_id)
    rated = served_by or customer.owner_id
    if caller.role == "supervisor":
        await require_access(uow.conn, caller, rated, "record ratings")
        if rated == caller.employee_id:
            raise Forbidden("a supervisor may not record a rating of themselves", field="served_by")
    stored = await rate(
        uow,
        customer,
        satisfaction.RateSatisfaction(rating_id, customer_id, rating, at, now, rated),
    )
    await _set_text(uow.conn, "ratings", "rating_id", rating_id, "comment", comment)
    return answer(stored, rating_id=rating_id, employee_id=rated)


# Conduct (R-B3.2, R-B3.4) -------------------------------------------------------------------


async def declare_gift(
    uow: UnitOfWork,
    caller: Caller,
    policy: CrmPolicy,
    *,
    declaration_id: str,
    employee_id: str | None,
    customer_id: str | None,
    kind: GiftKind,
    decision: GiftDecision,
    value: Money,
    at: datetime,
    now: datetime,
    description: str | None,
) -> dict[str, Any]:
    who = employee_id or caller.employee_id
    if who is None:
        raise InvalidCommand("name the employee the gift was offered to", field="employee_id")
    await require_access(uow.conn, caller, who, "declare gifts")
    await require_active_employee(uow.conn, who, "employee_id")
    if customer_id is not None:
        await load_customer(uow, customer_id)
    stream = conduct.gift_stream_id(declaration_id)
    _, existing = await load(uow, stream, list)
    command = conduct.DeclareGift(declaration_id, who, kind, decision, value, at, now, customer_id)
    stored = await append(uow, stream, conduct.declare_gift(command, bool(existing), policy.gifts))
    await _set_text(
        uow.conn, "gift_declarations", "declaration_id", declaration_id, "description", description
    )
    return answer(
        stored,
        declaration_id=declaration_id,
        employee_id=who,
        severity=first(stored, GiftDeclared).severity,
    )


async def report_breach(
    uow: UnitOfWork,
    caller: Caller,
    *,
    report_id: str,
    employee_id: str,
    kind: ConductBreachKind,
    severity: ConductSeverity,
    occurred_on: date,
    customer_id: str | None,
    now: datetime,
    description: str | None,
) -> dict[str, Any]:
    employee = await roster_entry(uow.conn, employee_id)
    if employee is None:
        raise InvalidCommand(f"{employee_id!r} is not on the roster", field="employee_id")
    if customer_id is not None:
        await load_customer(uow, customer_id)
    stream = conduct.breach_stream_id(report_id)
    _, existing = await load(uow, stream, list)
    command = conduct.ReportConductBreach(
        report_id=report_id,
        employee_id=employee_id,
        kind=kind,
        severity=severity,
        reporter_id=caller.employee_id,
        reporter_role=caller.role,
        supervisor_of_employee=employee.supervisor_id,
        occurred_on=occurred_on,
        today=now.astimezone(ZoneInfo(employee.timezone)).date(),
        at=now,
        customer_id=customer_id,
    )
    stored = await append(uow, stream, conduct.report_breach(command, bool(existing)))
    await _set_text(uow.conn, "conduct_reports", "report_id", report_id, "description", description)
    return answer(stored, report_id=report_id, employee_id=employee_id)


# Scheduled work: idempotent through deterministic event ids ------------------------------


async def _append_derived(uow: UnitOfWork, stream_id: str, new: list[NewEvent]) -> list[Event]:
    """Append a derived fact; one already stored (by another replica or run) is not an error."""
    try:
        return await append(uow, stream_id, new)
    except DuplicateEventError:
        return []


async def sweep_overdue(
    kit: ServiceKit, principal: Principal | None, now: datetime, *, batch: int = 500
) -> dict[str, int]:
    """Record every inquiry and complaint whose deadline has passed unanswered (R-A4, R-B3.3)."""
    assert kit.pool is not None
    recorded = {"inquiries": 0, "complaints": 0}
    inquiry_ids = [
        r["inquiry_id"]
        for r in await kit.pool.fetch(
            """SELECT inquiry_id FROM inquiries
           WHERE responded_at IS NULL AND NOT overdue_recorded AND respond_by < $1
           ORDER BY respond_by LIMIT $2""",
            now,
            batch,
        )
    ]
    for inquiry_id in inquiry_ids:

        async def record_inquiry(uow: UnitOfWork, inquiry_id: str = inquiry_id) -> int:
            stream = inquiries.stream_id(inquiry_id)
            state, _ = await load(uow, stream, inquiries.fold)
            new = inquiries.record_overdue(inquiries.RecordInquiryOverdue(inquiry_id, now), state)
            return len(await _append_derived(uow, stream, new))

        outcome = await kit.execute("RecordInquiryOverdue", record_inquiry, principal=principal)
        recorded["inquiries"] += outcome.response
    complaint_ids = [
        r["complaint_id"]
        for r in await kit.pool.fetch(
            """SELECT complaint_id FROM complaints
           WHERE resolved_at IS NULL AND NOT overdue_recorded AND resolve_by < $1
           ORDER BY resolve_by LIMIT $2""",
            now,
            batch,
        )
    ]
    for complaint_id in complaint_ids:

        async def record_complaint(uow: UnitOfWork, complaint_id: str = complaint_id) -> int:
            stream = complaints.stream_id(complaint_id)
            state, _ = await load(uow, stream, complaints.fold)
            new = complaints.record_overdue(
                complaints.RecordComplaintOverdue(complaint_id, now), state
            )
            return len(await _append_derived(uow, stream, new))

        outcome = await kit.execute("RecordComplaintOverdue", record_complaint, principal=principal)
        recorded["complaints"] += outcome.response
    return recorded


async def sweep_stale_records(
    kit: ServiceKit, principal: Principal | None, policy: CrmPolicy, now: datetime
) -> dict[str, int]:
    """One `CustomerRecordsStale` per owner and day with records not maintained (R-A5)."""
    assert kit.pool is not None
    command = staleness.SweepStaleRecords(now=now, stale_after_days=policy.stale_after_days)
    rows = await kit.pool.fetch(
        """SELECT c.customer_id, c.owner_id, r.timezone, c.last_maintained_at
           FROM customers c JOIN roster r ON r.employee_id = c.owner_id AND r.active
           WHERE c.owner_id IN (SELECT owner_id FROM customers
                                WHERE last_maintained_at < $1)""",
        now - timedelta(days=policy.stale_after_days),
    )
    records = [
        staleness.OwnedRecord(
            r["customer_id"], r["owner_id"], r["timezone"], r["last_maintained_at"]
        )
        for r in rows
    ]
    recorded = 0
    for finding in staleness.sweep(command, records):
        stale = finding.payload
        assert isinstance(stale, CustomerRecordsStale)
        stream = staleness.stream_id(stale.employee_id, stale.as_of)

        async def record(uow: UnitOfWork, stream: str = stream, finding: NewEvent = finding) -> int:
            await uow.load(stream)
            return len(await _append_derived(uow, stream, [finding]))

        outcome = await kit.execute("RecordCustomerRecordsStale", record, principal=principal)
        recorded += outcome.response
    return {"owners_recorded": recorded}
