"""Taking in what an existing CRM sends: webhook changes and bulk CSV imports.

Every record of an outside system is known by (`source`, `kind`, `external_id`); its crm id is
derived from those three (so the same record always gets the same id) and `external_refs` keeps
the newest `version` applied. A change whose version is not newer than that is ignored, so a
retried or reordered delivery never records a fact twice or rolls a record back. A CSV import
counts as version 0: any webhook version supersedes it. The shapes are documented in
docs/crm-integration.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from daybook_crm import application as app
from daybook_crm.customer_import import ImportRow, RowProblem
from daybook_crm.domain import customers, deals, inquiries, satisfaction
from daybook_crm.domain.customers import PROFILE_FIELDS
from daybook_crm.domain.policy import CrmPolicy
from daybook_shared.contracts import Money
from daybook_shared.contracts.base import EmployeeId
from daybook_shared.contracts.crm import (
    DealLostReason,
    DealStage,
    InquiryChannel,
)
from daybook_shared.errors import InvalidCommand
from daybook_shared.kit.eventstore import UnitOfWork
from daybook_shared.kit.ids import derived_id

SourceName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ProfileValue = Annotated[str, StringConstraints(max_length=200)] | None
ChangeKind = Literal["customer", "inquiry", "deal", "rating"]
IMPORT_VERSION = 0


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerData(_Shape):
    """The customer as of this version, whole: a field left out is empty."""

    owner_employee_id: EmployeeId
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

    def profile(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in PROFILE_FIELDS}


class InquiryData(_Shape):
    customer_external_id: ExternalId
    channel: InquiryChannel
    received_at: AwareDatetime
    responded_at: AwareDatetime | None = None
    employee_id: EmployeeId | None = None


class DealData(_Shape):
    customer_external_id: ExternalId
    stage: DealStage | Literal["won", "lost"]
    owner_employee_id: EmployeeId | None = None
    expected_amount: Money | None = None
    amount: Money | None = None
    lost_reason: DealLostReason | None = None

    @model_validator(mode="after")
    def _closing_facts_present(self) -> DealData:
        if self.stage == "won" and self.amount is None:
            raise ValueError("a won deal needs its amount")
        if self.stage == "lost" and self.lost_reason is None:
            raise ValueError("a lost deal needs its lost_reason")
        return self


class RatingData(_Shape):
    customer_external_id: ExternalId
    rating: int = Field(ge=1, le=5)
    served_by: EmployeeId | None = None


class _Change(_Shape):
    source: SourceName
    external_id: ExternalId
    version: int = Field(ge=1, description="grows with every change of the record")
    occurred_at: AwareDatetime


class CustomerChange(_Change):
    kind: Literal["customer"]
    data: CustomerData


class InquiryChange(_Change):
    kind: Literal["inquiry"]
    data: InquiryData


class DealChange(_Change):
    kind: Literal["deal"]
    data: DealData


class RatingChange(_Change):
    kind: Literal["rating"]
    data: RatingData


ExternalChange = Annotated[
    CustomerChange | InquiryChange | DealChange | RatingChange, Field(discriminator="kind")
]


def internal_id(source: str, kind: str, external_id: str) -> str:
    """The crm id of an outside record: the same three parts always give the same id."""
    return f"{kind[0]}{derived_id('crm-external', source, kind, external_id).hex}"


@dataclass(frozen=True)
class Ref:
    internal_id: str
    version: int
    created: bool


async def claim_ref(conn: asyncpg.Connection, source: str, kind: str, external_id: str) -> Ref:
    """The record's row, locked for this transaction (created at version -1 when new), so two
    deliveries of one record apply one after the other."""
    created = await conn.fetchval(
        """INSERT INTO external_refs (source, kind, external_id, internal_id, version, applied_at)
           VALUES ($1, $2, $3, $4, -1, now())
           ON CONFLICT (source, kind, external_id) DO NOTHING RETURNING true""",
        source,
        kind,
        external_id,
        internal_id(source, kind, external_id),
    )
    row = await conn.fetchrow(
        """SELECT internal_id, version FROM external_refs
           WHERE source = $1 AND kind = $2 AND external_id = $3 FOR UPDATE""",
        source,
        kind,
        external_id,
    )
    assert row is not None
    return Ref(row["internal_id"], row["version"], bool(created))


async def _set_version(
    conn: asyncpg.Connection, source: str, kind: str, external_id: str, version: int, now: datetime
) -> None:
    await conn.execute(
        """UPDATE external_refs SET version = $4, applied_at = $5
           WHERE source = $1 AND kind = $2 AND external_id = $3""",
        source,
        kind,
        external_id,
        version,
        now,
    )


async def _customer_of(
    uow: UnitOfWork, source: str, customer_external_id: str
) -> customers.Customer:
    customer_id = await uow.conn.fetchval(
        """SELECT internal_id FROM external_refs
           WHERE source = $1 AND kind = 'customer' AND external_id = $2 AND version >= 0""",
        source,
        customer_external_id,
    )
    if customer_id is None:
        raise InvalidCommand(
            f"no customer {customer_external_id!r} from {source!r}: send the customer first",
            field="data.customer_external_id",
        )
    return await app.load_customer(uow, customer_id)


async def apply_change(
    uow: UnitOfWork,
    change: CustomerChange | InquiryChange | DealChange | RatingChange,
    policy: CrmPolicy,
    now: datetime,
) -> dict[str, Any]:
    """Apply one outside change if its version is newer than the one applied (else ignore)."""
    ref = await claim_ref(uow.conn, change.source, change.kind, change.external_id)
    base = {
        "kind": change.kind,
        "external_id": change.external_id,
        "version": change.version,
        "id": ref.internal_id,
    }
    if change.version <= ref.version:
        return {
            **base,
            "status": "ignored",
            "applied_version": ref.version,
            "recorded": [],
            "reason": f"version {change.version} is not newer than {ref.version}",
        }
    match change:
        case CustomerChange():
            stored = await _apply_customer(
                uow, ref.internal_id, change.data, change.occurred_at, now, "webhook"
            )
        case InquiryChange():
            stored = await _apply_inquiry(uow, ref.internal_id, change, policy, now)
        case DealChange():
            stored = await _apply_deal(uow, ref.internal_id, change, now)
        case RatingChange():
            stored = await _apply_rating(uow, ref.internal_id, change, now)
    await _set_version(
        uow.conn, change.source, change.kind, change.external_id, change.version, now
    )
    return {**base, "status": "applied", "recorded": stored}


async def _apply_customer(
    uow: UnitOfWork,
    customer_id: str,
    data: CustomerData,
    at: datetime,
    now: datetime,
    source: Literal["webhook", "import"],
) -> list[str]:
    await app.require_active_employee(uow.conn, data.owner_employee_id, "data.owner_employee_id")
    state, _ = await app.load(uow, customers.stream_id(customer_id), customers.fold)
    if state is None:
        stored = await app.register(
            uow,
            customers.RegisterCustomer(
                customer_id, data.owner_employee_id, data.profile(), at, now, source
            ),
        )
        return [e.event_type for e in stored]
    updated = await app.update(uow, customer_id, data.profile(), at, now, source)
    reassigned = await app.reassign(
        uow, customers.ReassignCustomer(customer_id, data.owner_employee_id, at, now, source)
    )
    return [e.event_type for e in [*updated, *reassigned]]


async def _apply_inquiry(
    uow: UnitOfWork, inquiry_id: str, change: InquiryChange, policy: CrmPolicy, now: datetime
) -> list[str]:
    data = change.data
    state, _ = await app.load(uow, inquiries.stream_id(inquiry_id), inquiries.fold)
    recorded: list[str] = []
    if state is None:
        customer = await _customer_of(uow, change.source, data.customer_external_id)
        stored = await app.receive(
            uow,
            policy,
            inquiry_id=inquiry_id,
            customer=customer,
            employee_id=data.employee_id or customer.owner_id,
            channel=data.channel,
            received_at=data.received_at,
            now=now,
            source="webhook",
        )
        recorded += [e.event_type for e in stored]
        state = inquiries.fold(e.payload for e in stored)
    if data.responded_at is not None and state is not None and state.is_open:
        stored = await app.respond(
            uow, policy, inquiries.RespondToInquiry(inquiry_id, data.responded_at, now)
        )
        recorded += [e.event_type for e in stored]
    return recorded


async def _apply_deal(
    uow: UnitOfWork, deal_id: str, change: DealChange, now: datetime
) -> list[str]:
    """Open the deal when first seen (at its stage, or as a lead when it arrives closed), then
    move it to the stage the outside system reports."""
    data, at = change.data, change.occurred_at
    state, _ = await app.load(uow, deals.stream_id(deal_id), deals.fold)
    recorded: list[str] = []
    match data.stage:
        case "won":
            assert data.amount is not None
            decide = app.win(deals.WinDeal(deal_id, data.amount, at, now))
            opening_stage: DealStage = "lead"
        case "lost":
            assert data.lost_reason is not None
            decide = app.lose(deals.LoseDeal(deal_id, data.lost_reason, at, now))
            opening_stage = "lead"
        case stage:
            decide = app.change_stage(
                deals.ChangeDealStage(deal_id, stage, at, now, data.expected_amount)
            )
            opening_stage = stage
    if state is None:
        customer = await _customer_of(uow, change.source, data.customer_external_id)
        stored = await app.open_deal_for(
            uow,
            customer,
            deals.OpenDeal(
                deal_id,
                customer.customer_id,
                data.owner_employee_id or customer.owner_id,
                opening_stage,
                data.expected_amount,
                at,
                now,
                "webhook",
            ),
        )
        recorded += [e.event_type for e in stored]
    stored = await app.decide_on_deal(uow, deal_id, decide)
    return recorded + [e.event_type for e in stored]


async def _apply_rating(
    uow: UnitOfWork, rating_id: str, change: RatingChange, now: datetime
) -> list[str]:
    """A rating is recorded once; a later version of it is acknowledged, not counted again."""
    _, existing = await app.load(uow, satisfaction.stream_id(rating_id), list)
    if existing:
        return []
    data = change.data
    customer = await _customer_of(uow, change.source, data.customer_external_id)
    stored = await app.rate(
        uow,
        customer,
        satisfaction.RateSatisfaction(
            rating_id,
            customer.customer_id,
            data.rating,
            change.occurred_at,
            now,
            data.served_by or customer.owner_id,
            "webhook",
        ),
    )
    return [e.event_type for e in stored]


# Bulk CSV import ----------------------------------------------------------------------------


@dataclass
class ImportReport:
    registered: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(
        self, rows: int, skipped: list[dict[str, Any]], rejected: list[RowProblem]
    ) -> dict[str, Any]:
        return {
            "rows": rows,
            "registered": self.registered,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": skipped,
            "rejected": [p.as_dict() for p in rejected],
        }


async def owner_problems(conn: asyncpg.Connection, rows: list[ImportRow]) -> list[RowProblem]:
    """Rows whose owner is not an active employee on the roster."""
    owners = sorted({row.owner_id for row in rows})
    active = {
        r["employee_id"]
        for r in await conn.fetch(
            "SELECT employee_id FROM roster WHERE employee_id = ANY($1::text[]) AND active",
            owners,
        )
    }
    return [
        RowProblem(
            row.line,
            "owner_employee_id",
            f"{row.owner_id!r} is not an active employee on the roster",
        )
        for row in rows
        if row.owner_id not in active
    ]


async def import_customers(
    uow: UnitOfWork,
    source: str,
    rows: list[ImportRow],
    problems: list[RowProblem],
    now: datetime,
    *,
    all_or_nothing: bool,
) -> dict[str, Any]:
    """Register or update every good row; bad rows are reported by line.

    By default the good rows are imported and the bad ones only reported; with
    `all_or_nothing`, any bad row refuses the whole file (`ImportRefused`) and nothing is stored.
    A record a webhook has already updated (version above 0) is skipped, not overwritten.
    """
    rejected = sorted([*problems, *await owner_problems(uow.conn, rows)], key=lambda p: p.line)
    if rejected and all_or_nothing:
        raise ImportRefused(len(rows) + len({p.line for p in problems}), rejected)
    bad_lines = {p.line for p in rejected}
    report = ImportReport()
    skipped: list[dict[str, Any]] = []
    for row in rows:
        if row.line in bad_lines:
            continue
        ref = await claim_ref(uow.conn, source, "customer", row.external_id)
        if ref.version > IMPORT_VERSION:
            skipped.append(
                {
                    "line": row.line,
                    "external_id": row.external_id,
                    "reason": f"already updated by the webhook (version {ref.version})",
                }
            )
            continue
        data = CustomerData(owner_employee_id=row.owner_id, **row.profile)
        recorded = await _apply_customer(uow, ref.internal_id, data, now, now, "import")
        await _set_version(uow.conn, source, "customer", row.external_id, IMPORT_VERSION, now)
        if "CustomerRegistered" in recorded:
            report.registered += 1
        elif recorded:
            report.updated += 1
        else:
            report.unchanged += 1
    total = len(rows) + len({p.line for p in problems})
    return report.as_dict(total, skipped, rejected)


class ImportRefused(Exception):
    """An all-or-nothing import with bad rows: nothing was stored."""

    def __init__(self, rows: int, rejected: list[RowProblem]) -> None:
        super().__init__(f"{len(rejected)} problem(s) in the file; nothing was imported")
        self.rows = rows
        self.rejected = rejected
