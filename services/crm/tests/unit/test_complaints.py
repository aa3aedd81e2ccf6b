from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from daybook_crm.domain import complaints
from daybook_crm.domain.complaints import (
    FileComplaint,
    RecordComplaintOverdue,
    ResolveComplaint,
    file,
    fold,
    record_overdue,
    resolve,
)
from daybook_crm.domain.customers import Customer
from daybook_crm.domain.policy import CrmPolicy
from daybook_shared.contracts.crm import ComplaintOverdue, ComplaintResolved
from daybook_shared.errors import Conflict, InvalidCommand

ZONE = "Asia/Shanghai"
POLICY = CrmPolicy()  # high severity: 3 business days of 540 minutes
CUSTOMER = Customer("C1", "E1", 30)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(ZONE))


def filed(when: datetime, severity: str = "high") -> tuple[complaints.Complaint, list]:
    command = FileComplaint("K1", "C1", "E1", ZONE, "dispute", severity, when, now=when)
    events = file(command, None, CUSTOMER, POLICY)
    state = fold(e.payload for e in events)
    assert state is not None
    return state, events


def test_the_resolution_deadline_comes_from_the_severity():
    _, [event] = filed(at(2026, 12, 1, 10, 0))  # Tuesday
    assert event.payload.resolve_by == at(2026, 12, 4, 10, 0)
    assert event.payload.resolution_budget_minutes == 3 * 540
    assert event.payload.kind == "dispute"
    _, [critical] = filed(at(2026, 12, 4, 15, 0), severity="critical")  # Friday
    assert critical.payload.resolve_by == at(2026, 12, 7, 15, 0)


def test_a_complaint_resolved_late():
    state, _ = filed(at(2026, 12, 1, 10, 0))
    done = at(2026, 12, 7, 10, 0)  # the Monday after the Friday deadline
    [event] = resolve(ResolveComplaint("K1", "upheld", done, done, resolved_by="S1"), state, POLICY)
    assert isinstance(event.payload, ComplaintResolved)
    assert event.payload.within_deadline is False
    assert event.payload.resolution_business_minutes == 4 * 540
    assert event.payload.employee_id == "E1"
    assert event.payload.resolved_by == "S1"
    assert event.payload.severity == "high"


def test_a_complaint_resolved_in_time():
    state, _ = filed(at(2026, 12, 1, 10, 0))
    done = at(2026, 12, 2, 10, 0)
    [event] = resolve(ResolveComplaint("K1", "rejected", done, done), state, POLICY)
    assert event.payload.within_deadline is True
    assert event.payload.resolution_business_minutes == 540


def test_an_unresolved_complaint_is_recorded_overdue_once():
    state, events = filed(at(2026, 12, 1, 10, 0))
    assert record_overdue(RecordComplaintOverdue("K1", at(2026, 12, 4, 10, 0)), state) == []
    [event] = record_overdue(RecordComplaintOverdue("K1", at(2026, 12, 5, 0, 0)), state)
    assert event.payload == ComplaintOverdue(
        complaint_id="K1",
        customer_id="C1",
        employee_id="E1",
        severity="high",
        resolve_by=at(2026, 12, 4, 10, 0),
    )
    assert event.event_id == complaints.overdue_event_id("K1")
    recorded = fold([events[0].payload, event.payload])
    assert record_overdue(RecordComplaintOverdue("K1", at(2026, 12, 9, 0, 0)), recorded) == []
    done = at(2026, 12, 8, 9, 0)
    [late] = resolve(ResolveComplaint("K1", "upheld", done, done), recorded, POLICY)
    assert late.payload.was_overdue is True


def test_resolving_twice_or_before_filing_is_refused():
    state, events = filed(at(2026, 12, 1, 10, 0))
    with pytest.raises(InvalidCommand) as early:
        resolve(
            ResolveComplaint("K1", "upheld", at(2026, 12, 1, 9, 0), at(2026, 12, 1, 11, 0)),
            state,
            POLICY,
        )
    assert early.value.field == "resolved_at"
    done = at(2026, 12, 1, 11, 0)
    [resolved] = resolve(ResolveComplaint("K1", "upheld", done, done), state, POLICY)
    with pytest.raises(Conflict):
        resolve(
            ResolveComplaint("K1", "upheld", done, done),
            fold([events[0].payload, resolved.payload]),
            POLICY,
        )
