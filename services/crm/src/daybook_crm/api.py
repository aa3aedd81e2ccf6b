"""HTTP edge: validate, turn the request into a handler call, answer. Rules live elsewhere."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Body, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from daybook_crm import application as app
from daybook_crm import integration, views
from daybook_crm.application import Caller
from daybook_crm.customer_import import COLUMNS, parse_customer_csv
from daybook_crm.domain import deals
from daybook_crm.domain.customers import PROFILE_FIELDS
from daybook_crm.domain.policy import CrmPolicy
from daybook_crm.settings import CrmSettings
from daybook_shared.contracts import Money
from daybook_shared.contracts.base import CustomerId, EmployeeId, Identifier, TeamId
from daybook_shared.contracts.crm import (
    ComplaintKind,
    ComplaintOutcome,
    ComplaintSeverity,
    ConductBreachKind,
    ConductSeverity,
    DealLostReason,
    DealStage,
    GiftDecision,
    GiftKind,
    InquiryChannel,
    InteractionChannel,
)
from daybook_shared.errors import Forbidden, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import UnitOfWork
from daybook_shared.runtime.auth import Principal, Role, get_principal, require_roles
from daybook_shared.runtime.logging import current_correlation_id
from daybook_shared.runtime.service import Kit, ServiceKit

router = APIRouter()

Authenticated = Annotated[Principal, Depends(get_principal)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key when retrying: the first answer is returned again",
    ),
]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ProfileValue = Annotated[str, StringConstraints(max_length=200)] | None
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class Request_(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _new_id() -> str:
    return uuid4().hex


def _policy(kit: ServiceKit) -> CrmPolicy:
    settings = kit.settings
    assert isinstance(settings, CrmSettings)
    return settings.crm_policy


async def _execute(
    kit: ServiceKit,
    command: str,
    principal: Principal,
    body: BaseModel | dict[str, Any],
    key: str | None,
    handler: Callable[[UnitOfWork], Awaitable[Any]],
) -> Any:
    request = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    outcome = await kit.execute(
        command, handler, principal=principal, idempotency_key=key, request=request
    )
    return outcome.response


# Customers ----------------------------------------------------------------------------------


class CustomerProfile(Request_):
    name: ProfileValue = None
    company: ProfileValue = None
    contact_person: ProfileValue = None
    email: ProfileValue = None
    phone: ProfileValue = None
    address: ProfileValue = None
    city: ProfileValue = None
    country: ProfileValue = None
    industry: ProfileValue = None
    website: ProfileValue = None


class RegisterCustomerBody(CustomerProfile):
    customer_id: CustomerId = Field(default_factory=_new_id)
    owner_employee_id: EmployeeId | None = Field(default=None, description="defaults to the caller")
    at: AwareDatetime | None = None


class UpdateCustomerBody(CustomerProfile):
    """Only the fields sent change; a field sent as null or "" is cleared."""

    at: AwareDatetime | None = None


class ReassignBody(Request_):
    new_owner_employee_id: EmployeeId
    at: AwareDatetime | None = None


class InteractionBody(Request_):
    interaction_id: Identifier = Field(default_factory=_new_id)
    channel: InteractionChannel
    employee_id: EmployeeId | None = Field(default=None, description="defaults to the caller")
    at: AwareDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    notes: FreeText | None = None


@router.post("/customers", status_code=status.HTTP_201_CREATED, tags=["customers"])
async def register_customer(
    body: RegisterCustomerBody, kit: Kit, principal: Authenticated, key: IdempotencyKey = None
) -> Any:
    """Register a customer owned by a salesperson (R-A5); the answer has its completeness."""
    caller, now = Caller.of(principal), kit.clock.now()
    owner = body.owner_employee_id or caller.employee_id
    if owner is None:
        raise InvalidCommand("name the owner_employee_id", field="owner_employee_id")
    profile = {name: getattr(body, name) for name in PROFILE_FIELDS}
    return await _execute(
        kit,
        "RegisterCustomer",
        principal,
        body,
        key,
        lambda uow: app.register_customer(
            uow,
            caller,
            customer_id=body.customer_id,
            owner_id=owner,
            profile=profile,
            at=body.at or now,
            now=now,
        ),
    )


@router.patch("/customers/{customer_id}", tags=["customers"])
async def update_customer(
    customer_id: CustomerId,
    body: UpdateCustomerBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    changes = {
        name: getattr(body, name) for name in body.model_fields_set if name in PROFILE_FIELDS
    }
    if not changes:
        raise InvalidCommand(f"send at least one of {', '.join(PROFILE_FIELDS)}", field="body")
    return await _execute(
        kit,
        "UpdateCustomer",
        principal,
        body,
        key,
        lambda uow: app.update_customer(
            uow, caller, customer_id=customer_id, changes=changes, at=body.at or now, now=now
        ),
    )


@router.post("/customers/{customer_id}/reassign", tags=["customers"])
async def reassign_customer(
    customer_id: CustomerId,
    body: ReassignBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "ReassignCustomer",
        principal,
        body,
        key,
        lambda uow: app.reassign_customer(
            uow,
            caller,
            customer_id=customer_id,
            new_owner_id=body.new_owner_employee_id,
            at=body.at or now,
            now=now,
        ),
    )


@router.post(
    "/customers/{customer_id}/interactions", status_code=status.HTTP_201_CREATED, tags=["customers"]
)
async def log_interaction(
    customer_id: CustomerId,
    body: InteractionBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    """A call, visit, message, e-mail or meeting (R-A4); the notes stay in crm."""
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "LogInteraction",
        principal,
        body,
        key,
        lambda uow: app.log_interaction(
            uow,
            caller,
            interaction_id=body.interaction_id,
            customer_id=customer_id,
            employee_id=body.employee_id,
            channel=body.channel,
            at=body.at or now,
            now=now,
            duration_minutes=body.duration_minutes,
            notes=body.notes,
        ),
    )


@router.get("/customers/export", tags=["customers"])
async def export_customers(
    request: Request,
    kit: Kit,
    principal: Authenticated,
    employee_id: EmployeeId | None = None,
    team_id: TeamId | None = None,
) -> Response:
    """The visible customers' details as CSV (the import format); every export is audited."""
    caller, pool = Caller.of(principal), _pool(kit)
    target = _scope_target(employee_id, team_id)
    async with pool.acquire() as conn:
        employees = await _audited_scope(
            kit, conn, caller, employee_id, team_id, "export_customers", target
        )
        rows = await views.export_rows(conn, employees)
    await views.audit(
        pool,
        caller,
        action="export_customers",
        target=target,
        allowed=True,
        at=kit.clock.now(),
        record_count=len(rows),
        correlation_id=current_correlation_id(),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer_id", *COLUMNS[1:], "completeness"])
    for row in rows:
        details = row["details"]
        writer.writerow(
            [
                row["customer_id"],
                row["owner_id"],
                *(details.get(name, "") for name in PROFILE_FIELDS),
                row["completeness"],
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


@router.get("/customers/{customer_id}", tags=["customers"])
async def read_customer(customer_id: CustomerId, kit: Kit, principal: Authenticated) -> Any:
    """A customer's details: allowed for the owner, their supervisors and hr; every read and
    every refused attempt is audited (R-B3.4)."""
    caller, pool = Caller.of(principal), _pool(kit)
    async with pool.acquire() as conn:
        owner = await views.owner_of(conn, customer_id)
        if owner is None:
            raise NotFound(f"no customer {customer_id!r}", field="customer_id")
        allowed = await app.may_act(conn, caller, owner)
        await views.audit(
            pool,
            caller,
            action="read_customer",
            target=customer_id,
            allowed=allowed,
            at=kit.clock.now(),
            record_count=int(allowed),
            correlation_id=current_correlation_id(),
        )
        if not allowed:
            raise Forbidden(
                f"{caller.subject} may not read customer {customer_id!r}", field="customer_id"
            )
        return await views.customer_details(conn, customer_id)


@router.get("/customers", tags=["customers"])
async def list_customers(
    kit: Kit,
    principal: Authenticated,
    employee_id: EmployeeId | None = None,
    team_id: TeamId | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """Customers of one employee, a team, or everyone the caller may see (names included, so
    the listing is audited)."""
    caller, pool = Caller.of(principal), _pool(kit)
    target = _scope_target(employee_id, team_id)
    async with pool.acquire() as conn:
        employees = await _audited_scope(
            kit, conn, caller, employee_id, team_id, "list_customers", target
        )
        found = await views.customers_of(conn, employees, limit=limit, offset=offset)
    await views.audit(
        pool,
        caller,
        action="list_customers",
        target=target,
        allowed=True,
        at=kit.clock.now(),
        record_count=len(found),
        correlation_id=current_correlation_id(),
    )
    return {"customers": found, "limit": limit, "offset": offset}


@router.get("/employees/{employee_id}/customers", tags=["customers"])
async def employee_customers(
    employee_id: EmployeeId,
    kit: Kit,
    principal: Authenticated,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    return await list_customers(kit, principal, employee_id=employee_id, limit=limit, offset=offset)


def _pool(kit: ServiceKit) -> Any:
    assert kit.pool is not None, "the service is not started"
    return kit.pool


def _scope_target(employee_id: str | None, team_id: str | None) -> str:
    if employee_id is not None:
        return f"employee:{employee_id}"
    if team_id is not None:
        return f"team:{team_id}"
    return "visible"


async def _audited_scope(
    kit: ServiceKit,
    conn: Any,
    caller: Caller,
    employee_id: str | None,
    team_id: str | None,
    action: views.AuditAction,
    target: str,
) -> list[str] | None:
    """The employees covered; a refused scope is audited before the 403."""
    try:
        return await views.scope(conn, caller, employee_id, team_id)
    except Forbidden:
        await views.audit(
            _pool(kit),
            caller,
            action=action,
            target=target,
            allowed=False,
            at=kit.clock.now(),
            correlation_id=current_correlation_id(),
        )
        raise


# Inquiries (R-A4) ---------------------------------------------------------------------------


class ReceiveInquiryBody(Request_):
    inquiry_id: Identifier = Field(default_factory=_new_id)
    customer_id: CustomerId
    channel: InquiryChannel
    received_at: AwareDatetime | None = None
    employee_id: EmployeeId | None = Field(
        default=None, description="who must answer; defaults to the customer's owner"
    )
    subject: FreeText | None = None


class RespondBody(Request_):
    responded_at: AwareDatetime | None = None


@router.post("/inquiries", status_code=status.HTTP_201_CREATED, tags=["inquiries"])
async def receive_inquiry(
    body: ReceiveInquiryBody, kit: Kit, principal: Authenticated, key: IdempotencyKey = None
) -> Any:
    """Record an inquiry; the answer has its response deadline (business hours, R-A4)."""
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "ReceiveInquiry",
        principal,
        body,
        key,
        lambda uow: app.receive_inquiry(
            uow,
            caller,
            _policy(kit),
            inquiry_id=body.inquiry_id,
            customer_id=body.customer_id,
            employee_id=body.employee_id,
            channel=body.channel,
            received_at=body.received_at or now,
            now=now,
            subject=body.subject,
        ),
    )


@router.post("/inquiries/{inquiry_id}/response", tags=["inquiries"])
async def respond_to_inquiry(
    inquiry_id: Identifier,
    kit: Kit,
    principal: Authenticated,
    body: Annotated[RespondBody | None, Body()] = None,
    key: IdempotencyKey = None,
) -> Any:
    """Answer an inquiry; the answer says whether it was within the deadline (R-A4)."""
    caller, now = Caller.of(principal), kit.clock.now()
    body = body or RespondBody()
    responded_at = body.responded_at or now
    return await _execute(
        kit,
        "RespondToInquiry",
        principal,
        body,
        key,
        lambda uow: app.respond_to_inquiry(
            uow, caller, _policy(kit), inquiry_id=inquiry_id, responded_at=responded_at, now=now
        ),
    )


@router.get("/inquiries/open", tags=["inquiries"])
async def list_open_inquiries(
    kit: Kit,
    principal: Authenticated,
    employee_id: EmployeeId | None = None,
    team_id: TeamId | None = None,
) -> Any:
    """Open inquiries with their deadlines, soonest first."""
    caller = Caller.of(principal)
    async with _pool(kit).acquire() as conn:
        employees = await views.scope(conn, caller, employee_id, team_id)
        return {"inquiries": await views.open_inquiries(conn, employees, kit.clock.now())}


# Complaints (R-B3.3) ------------------------------------------------------------------------


class FileComplaintBody(Request_):
    complaint_id: Identifier = Field(default_factory=_new_id)
    customer_id: CustomerId
    kind: ComplaintKind = "complaint"
    severity: ComplaintSeverity
    filed_at: AwareDatetime | None = None
    employee_id: EmployeeId | None = Field(
        default=None, description="who must resolve it; defaults to the customer's owner"
    )
    description: FreeText | None = None


class ResolveBody(Request_):
    outcome: ComplaintOutcome
    resolved_at: AwareDatetime | None = None


@router.post("/complaints", status_code=status.HTTP_201_CREATED, tags=["complaints"])
async def file_complaint(
    body: FileComplaintBody, kit: Kit, principal: Authenticated, key: IdempotencyKey = None
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "FileComplaint",
        principal,
        body,
        key,
        lambda uow: app.file_complaint(
            uow,
            caller,
            _policy(kit),
            complaint_id=body.complaint_id,
            customer_id=body.customer_id,
            employee_id=body.employee_id,
            kind=body.kind,
            severity=body.severity,
            filed_at=body.filed_at or now,
            now=now,
            description=body.description,
        ),
    )


@router.post("/complaints/{complaint_id}/resolution", tags=["complaints"])
async def resolve_complaint(
    complaint_id: Identifier,
    body: ResolveBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "ResolveComplaint",
        principal,
        body,
        key,
        lambda uow: app.resolve_complaint(
            uow,
            caller,
            _policy(kit),
            complaint_id=complaint_id,
            outcome=body.outcome,
            resolved_at=body.resolved_at or now,
            now=now,
        ),
    )


@router.get("/complaints/open", tags=["complaints"])
async def list_open_complaints(
    kit: Kit,
    principal: Authenticated,
    employee_id: EmployeeId | None = None,
    team_id: TeamId | None = None,
) -> Any:
    caller = Caller.of(principal)
    async with _pool(kit).acquire() as conn:
        employees = await views.scope(conn, caller, employee_id, team_id)
        return {"complaints": await views.open_complaints(conn, employees, kit.clock.now())}


# Deals (R-B1.1) -----------------------------------------------------------------------------


class OpenDealBody(Request_):
    deal_id: Identifier = Field(default_factory=_new_id)
    customer_id: CustomerId
    stage: DealStage = "lead"
    expected_amount: Money | None = None
    employee_id: EmployeeId | None = Field(
        default=None, description="the deal's owner; defaults to the customer's owner"
    )
    at: AwareDatetime | None = None
    title: FreeText | None = None


class StageBody(Request_):
    stage: DealStage
    expected_amount: Money | None = None
    at: AwareDatetime | None = None


class WonBody(Request_):
    amount: Money
    at: AwareDatetime | None = None


class LostBody(Request_):
    reason: DealLostReason
    at: AwareDatetime | None = None


@router.post("/deals", status_code=status.HTTP_201_CREATED, tags=["deals"])
async def open_deal(
    body: OpenDealBody, kit: Kit, principal: Authenticated, key: IdempotencyKey = None
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "OpenDeal",
        principal,
        body,
        key,
        lambda uow: app.open_deal(
            uow,
            caller,
            deal_id=body.deal_id,
            customer_id=body.customer_id,
            employee_id=body.employee_id,
            stage=body.stage,
            expected_amount=body.expected_amount,
            at=body.at or now,
            now=now,
            title=body.title,
        ),
    )


@router.post("/deals/{deal_id}/stage", tags=["deals"])
async def change_deal_stage(
    deal_id: Identifier,
    body: StageBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    command = deals.ChangeDealStage(deal_id, body.stage, body.at or now, now, body.expected_amount)
    return await _execute(
        kit,
        "ChangeDealStage",
        principal,
        body,
        key,
        lambda uow: app.act_on_deal(uow, caller, deal_id, app.change_stage(command)),
    )


@router.post("/deals/{deal_id}/won", tags=["deals"])
async def win_deal(
    deal_id: Identifier,
    body: WonBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    """Record the sale (R-B1.1); winning again with the same amount records nothing."""
    caller, now = Caller.of(principal), kit.clock.now()
    command = deals.WinDeal(deal_id, body.amount, body.at or now, now)
    return await _execute(
        kit,
        "WinDeal",
        principal,
        body,
        key,
        lambda uow: app.act_on_deal(uow, caller, deal_id, app.win(command)),
    )


@router.post("/deals/{deal_id}/lost", tags=["deals"])
async def lose_deal(
    deal_id: Identifier,
    body: LostBody,
    kit: Kit,
    principal: Authenticated,
    key: IdempotencyKey = None,
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    command = deals.LoseDeal(deal_id, body.reason, body.at or now, now)
    return await _execute(
        kit,
        "LoseDeal",
        principal,
        body,
        key,
        lambda uow: app.act_on_deal(uow, caller, deal_id, app.lose(command)),
    )


@router.get("/pipeline", tags=["deals"])
async def pipeline(
    kit: Kit,
    principal: Authenticated,
    employee_id: EmployeeId | None = None,
    team_id: TeamId | None = None,
) -> Any:
    """Open deals by stage with expected values, and the won and lost totals."""
    caller = Caller.of(principal)
    async with _pool(kit).acquire() as conn:
        employees = await views.scope(conn, caller, employee_id, team_id)
        return await views.pipeline(conn, employees)


# Satisfaction (R-B4.1) ----------------------------------------------------------------------


class RatingBody(Request_):
    rating_id: Identifier = Field(default_factory=_new_id)
    customer_id: CustomerId
    rating: int = Field(description="1 (poor) to 5 (excellent)")
    served_by: EmployeeId | None = Field(
        default=None, description="the salesperson rated; defaults to the customer's owner"
    )
    at: AwareDatetime | None = None
    comment: FreeText | None = None


@router.post("/ratings", status_code=status.HTTP_201_CREATED, tags=["satisfaction"])
async def rate_satisfaction(
    body: RatingBody, kit: Kit, principal: Authenticated, key: IdempotencyKey = None
) -> Any:
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "RateSatisfaction",
        principal,
        body,
        key,
        lambda uow: app.rate_satisfaction(
            uow,
            caller,
            rating_id=body.rating_id,
            customer_id=body.customer_id,
            rating=body.rating,
            served_by=body.served_by,
            at=body.at or now,
            now=now,
            comment=body.comment,
        ),
    )


# Conduct (R-B3.2, R-B3.4) -------------------------------------------------------------------


class GiftBody(Request_):
    declaration_id: Identifier = Field(default_factory=_new_id)
    employee_id: EmployeeId | None = Field(default=None, description="defaults to the caller")
    customer_id: CustomerId | None = None
    kind: GiftKind
    decision: GiftDecision
    value: Money
    at: AwareDatetime | None = None
    description: FreeText | None = None


class BreachBody(Request_):
    report_id: Identifier = Field(default_factory=_new_id)
    employee_id: EmployeeId
    kind: ConductBreachKind
    severity: ConductSeverity
    occurred_on: date
    customer_id: CustomerId | None = None
    description: FreeText | None = None


@router.post("/gifts", status_code=status.HTTP_201_CREATED, tags=["conduct"])
async def declare_gift(
    body: GiftBody, kit: Kit, principal: Authenticated, key: IdempotencyKey = None
) -> Any:
    """Declare a gift or benefit offered, declined or accepted (R-B3.2)."""
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "DeclareGift",
        principal,
        body,
        key,
        lambda uow: app.declare_gift(
            uow,
            caller,
            _policy(kit),
            declaration_id=body.declaration_id,
            employee_id=body.employee_id,
            customer_id=body.customer_id,
            kind=body.kind,
            decision=body.decision,
            value=body.value,
            at=body.at or now,
            now=now,
            description=body.description,
        ),
    )


@router.post("/conduct-breaches", status_code=status.HTTP_201_CREATED, tags=["conduct"])
async def report_breach(
    body: BreachBody,
    kit: Kit,
    principal: Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.HR))],
    key: IdempotencyKey = None,
) -> Any:
    """A supervisor (of the employee) or hr reports improper dealing or a confidentiality
    breach (R-B3.2, R-B3.4)."""
    caller, now = Caller.of(principal), kit.clock.now()
    return await _execute(
        kit,
        "ReportConductBreach",
        principal,
        body,
        key,
        lambda uow: app.report_breach(
            uow,
            caller,
            report_id=body.report_id,
            employee_id=body.employee_id,
            kind=body.kind,
            severity=body.severity,
            occurred_on=body.occurred_on,
            customer_id=body.customer_id,
            now=now,
            description=body.description,
        ),
    )


# Scheduled work -----------------------------------------------------------------------------

Operator = Annotated[Principal, Depends(require_roles(Role.HR, Role.INTEGRATION))]


@router.post("/sweeps/overdue", tags=["sweeps"])
async def sweep_overdue(kit: Kit, principal: Operator) -> Any:
    """Record inquiries and complaints past their deadline unanswered (also runs on a timer)."""
    return await app.sweep_overdue(kit, principal, kit.clock.now())


@router.post("/sweeps/stale-records", tags=["sweeps"])
async def sweep_stale_records(kit: Kit, principal: Operator) -> Any:
    """Record owners whose customer records are stale (R-A5; also runs on a timer)."""
    return await app.sweep_stale_records(kit, principal, _policy(kit), kit.clock.now())


# Integration --------------------------------------------------------------------------------

Integration = Annotated[Principal, Depends(require_roles(Role.INTEGRATION))]


@router.post("/integration/webhook", tags=["integration"])
async def webhook(
    change: Annotated[integration.ExternalChange, Body()], kit: Kit, principal: Integration
) -> Any:
    """One change from an existing CRM (docs/crm-integration.md). Idempotent by the record's
    id and version: a retry gets the first answer; an older version is ignored."""
    key = f"{change.source}:{change.kind}:{change.external_id}:{change.version}"
    now = kit.clock.now()
    return await _execute(
        kit,
        "ExternalChange",
        principal,
        change,
        key,
        lambda uow: integration.apply_change(uow, change, _policy(kit), now),
    )


@router.post("/integration/customers/import", tags=["integration"])
async def import_customers(
    request: Request,
    kit: Kit,
    principal: Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.HR))],
    source: Annotated[str, Query(pattern=r"^[A-Za-z0-9_\-]{1,64}$")] = "csv",
    all_or_nothing: bool = False,
    key: IdempotencyKey = None,
) -> Any:
    """A CSV of customers (docs/crm-integration.md). Bad rows are reported by line; the rest are
    imported, unless `all_or_nothing=true`, when any bad row refuses the file (422)."""
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidCommand(
            f"the file is larger than {MAX_IMPORT_BYTES} bytes; split it", field="file"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidCommand(f"the file is not UTF-8 (byte {exc.start})", field="file") from exc
    parsed = parse_customer_csv(text)
    now = kit.clock.now()
    request_id = {"source": source, "all_or_nothing": all_or_nothing, "file": text}
    try:
        return await _execute(
            kit,
            "ImportCustomers",
            principal,
            request_id,
            key,
            lambda uow: integration.import_customers(
                uow, source, parsed.rows, parsed.problems, now, all_or_nothing=all_or_nothing
            ),
        )
    except integration.ImportRefused as refused:
        return JSONResponse(
            status_code=422,
            content={
                "error": "invalid_import",
                "detail": str(refused),
                "field": "file",
                "rows": refused.rows,
                "rejected": [p.as_dict() for p in refused.rejected],
            },
        )


# Audit (R-B3.4) -----------------------------------------------------------------------------


@router.get("/audit", tags=["audit"])
async def access_audit(
    kit: Kit,
    principal: Annotated[Principal, Depends(require_roles(Role.HR))],
    actor: str | None = None,
    customer_id: CustomerId | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    outcome: Literal["allowed", "denied"] | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    """Who read or exported customer data, or tried to, and when."""
    async with _pool(kit).acquire() as conn:
        entries = await views.audit_log(
            conn,
            actor=actor,
            target=customer_id,
            since=since,
            until=until,
            outcome=outcome,
            limit=limit,
        )
    return {"entries": entries}
