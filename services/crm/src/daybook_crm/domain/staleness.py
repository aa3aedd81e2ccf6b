"""The periodic sweep for customer records left unmaintained (R-A5: updated promptly)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from daybook_shared.contracts.crm import CustomerRecordsStale
from daybook_shared.kit.eventstore import NewEvent
from daybook_shared.kit.ids import derived_id


def stream_id(employee_id: str, as_of: date) -> str:
    return f"crm-upkeep-{employee_id}-{as_of.isoformat()}"


def stale_event_id(employee_id: str, as_of: date) -> UUID:
    """One finding per owner and day: a second sweep that day, anywhere, is refused."""
    return derived_id("crm", "CustomerRecordsStale", employee_id, as_of.isoformat())


@dataclass(frozen=True)
class OwnedRecord:
    """A record as the sweep sees it: owner, and when it was last maintained (registered,
    updated, reassigned, or an interaction logged)."""

    customer_id: str
    owner_id: str
    owner_timezone: str
    last_maintained_at: datetime


@dataclass(frozen=True)
class SweepStaleRecords:
    now: datetime
    stale_after_days: int


def sweep(command: SweepStaleRecords, records: Iterable[OwnedRecord]) -> list[NewEvent]:
    """One `CustomerRecordsStale` per owner with at least one record older than the threshold,
    dated by the owner's own calendar day."""
    cutoff = command.now - timedelta(days=command.stale_after_days)
    by_owner: dict[str, list[OwnedRecord]] = {}
    for record in records:
        by_owner.setdefault(record.owner_id, []).append(record)
    findings: list[NewEvent] = []
    for owner_id in sorted(by_owner):
        owned = by_owner[owner_id]
        stale = sorted(r.customer_id for r in owned if r.last_maintained_at < cutoff)
        if not stale:
            continue
        as_of = command.now.astimezone(ZoneInfo(owned[0].owner_timezone)).date()
        event = CustomerRecordsStale(
            employee_id=owner_id,
            as_of=as_of,
            threshold_days=command.stale_after_days,
            stale_customer_ids=tuple(stale),
            stale_count=len(stale),
            owned_count=len(owned),
        )
        findings.append(NewEvent(event, command.now, event_id=stale_event_id(owner_id, as_of)))
    return findings
