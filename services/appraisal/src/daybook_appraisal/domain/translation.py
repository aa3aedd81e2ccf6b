"""Other contexts' events in the appraisal's own words: which facts each event proves.

The one place that knows the attendance, reporting and crm contracts; the policy and the scoring
speak only of fact kinds. An event that proves nothing the appraisal counts gives no facts.
Slots (`key`) make corrections and revisions replace rather than add:

- attendance: a derived fact sits in a slot of its own event id; `AttendanceFactWithdrawn` voids
  that slot (with a higher revision, so a withdrawal wins even though it carries the withdrawn
  fact's business time), whichever of the two arrives first;
- a daily report, a progress report, an inquiry and a complaint each have one slot: the missed or
  overdue fact, then the late submission or answer that replaces it (a missed daily report that
  reporting withdraws, the day being no working day after all, empties its slot);
- a goal's target sits in the goal's slot, its highest revision counting;
- a customer record's completeness sits in the owner's slot for that customer until a later
  update replaces it or a reassignment voids it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from daybook_appraisal.domain.facts import Fact, FactKind
from daybook_shared.contracts import Payload, attendance, crm, reporting

K = FactKind


class Recorded(Protocol):
    """What a translation reads of an event: a kit `Event`, or a rebuild's typed envelope."""

    @property
    def event_id(self) -> UUID: ...

    @property
    def event_type(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def payload(self) -> Payload: ...


def _fact(event: Recorded, kind: FactKind, employee_id: str, **fields: Any) -> Fact:
    return Fact(
        event_id=event.event_id,
        event_type=event.event_type,
        kind=kind,
        employee_id=employee_id,
        occurred_at=event.occurred_at,
        **fields,
    )


def _late_arrival(event: Recorded, p: attendance.LateArrivalRecorded) -> list[Fact]:
    kind = K.LATE_ARRIVAL_EXCUSED if p.excused else K.LATE_ARRIVAL_UNEXCUSED
    return [
        _fact(event, kind, p.employee_id, on_date=p.work_date, key=f"attendance:{event.event_id}")
    ]


def _early_departure(event: Recorded, p: attendance.EarlyDepartureRecorded) -> list[Fact]:
    kind = K.EARLY_DEPARTURE_EXCUSED if p.excused else K.EARLY_DEPARTURE_UNEXCUSED
    return [
        _fact(event, kind, p.employee_id, on_date=p.work_date, key=f"attendance:{event.event_id}")
    ]


def _absence(event: Recorded, p: attendance.AbsenceRecorded) -> list[Fact]:
    kind = K.ABSENCE_EXCUSED if p.excused else K.ABSENCE_UNEXCUSED
    return [
        _fact(event, kind, p.employee_id, on_date=p.work_date, key=f"attendance:{event.event_id}")
    ]


def _withdrawn(event: Recorded, p: attendance.AttendanceFactWithdrawn) -> list[Fact]:
    return [
        _fact(
            event,
            K.VOID,
            p.employee_id,
            on_date=p.work_date,
            key=f"attendance:{p.withdrawn_event_id}",
            revision=1,
        )
    ]


def _daily_report(event: Recorded, p: reporting.DailyReportSubmitted) -> list[Fact]:
    """A submission outranks the missed fact and its withdrawal (revisions from 2)."""
    kind = K.DAILY_REPORT_ON_TIME if p.on_time else K.DAILY_REPORT_LATE
    return [
        _fact(
            event,
            kind,
            p.employee_id,
            on_date=p.report_date,
            key=f"daily-report:{p.report_date}",
            revision=p.revision + 1,
        )
    ]


def _daily_report_missed(event: Recorded, p: reporting.DailyReportMissed) -> list[Fact]:
    return [
        _fact(
            event,
            K.DAILY_REPORT_MISSED,
            p.employee_id,
            on_date=p.report_date,
            key=f"daily-report:{p.report_date}",
        )
    ]


def _daily_report_excused(event: Recorded, p: reporting.DailyReportMissedWithdrawn) -> list[Fact]:
    """The day was no working day after all (leave, holiday): no report was due."""
    return [
        _fact(
            event,
            K.VOID,
            p.employee_id,
            on_date=p.report_date,
            key=f"daily-report:{p.report_date}",
            revision=1,
        )
    ]


def _goal(event: Recorded, p: reporting.GoalSet) -> list[Fact]:
    """Only a sales-amount goal has a target the sales component can compare won deals with."""
    if p.metric != "sales_amount" or p.amount is None:
        return []
    return [
        _fact(
            event,
            K.SALES_TARGET,
            p.employee_id,
            on_date=p.period_start,
            until=p.period_end,
            value=p.amount.amount,
            unit=p.amount.currency,
            key=f"goal:{p.goal_id}",
            revision=p.revision,
        )
    ]


def _progress(event: Recorded, p: reporting.GoalProgressReported) -> list[Fact]:
    kind = K.PROGRESS_REPORT_ON_TIME if p.on_time else K.PROGRESS_REPORT_LATE
    return [
        _fact(
            event,
            kind,
            p.employee_id,
            on_date=p.period_end,
            key=f"progress:{p.goal_id}:{p.period_start}",
            revision=1,
        )
    ]


def _progress_missed(event: Recorded, p: reporting.GoalProgressReportMissed) -> list[Fact]:
    return [
        _fact(
            event,
            K.PROGRESS_REPORT_MISSED,
            p.employee_id,
            on_date=p.period_end,
            key=f"progress:{p.goal_id}:{p.period_start}",
        )
    ]


def _market_report(event: Recorded, p: reporting.MarketReportSubmitted) -> list[Fact]:
    return [_fact(event, K.MARKET_REPORT, p.employee_id, attributed_at=p.submitted_at)]


def _training(event: Recorded, p: reporting.TrainingCompleted) -> list[Fact]:
    return [_fact(event, K.TRAINING_HOURS, p.employee_id, on_date=p.completed_on, value=p.hours)]


def _certification(event: Recorded, p: reporting.CertificationObtained) -> list[Fact]:
    return [_fact(event, K.CERTIFICATION, p.employee_id, on_date=p.obtained_on)]


def _completeness(employee_id: str, customer_id: str, value: int, event: Recorded) -> Fact:
    return _fact(
        event,
        K.RECORD_COMPLETENESS,
        employee_id,
        value=Decimal(value),
        key=f"customer:{customer_id}",
    )


def _customer_registered(event: Recorded, p: crm.CustomerRegistered) -> list[Fact]:
    return [_completeness(p.employee_id, p.customer_id, p.completeness, event)]


def _customer_updated(event: Recorded, p: crm.CustomerRecordUpdated) -> list[Fact]:
    return [_completeness(p.employee_id, p.customer_id, p.completeness, event)]


def _customer_reassigned(event: Recorded, p: crm.CustomerReassigned) -> list[Fact]:
    """The record now counts for its new owner and no longer for the previous one (R-A5)."""
    return [
        _completeness(p.employee_id, p.customer_id, p.completeness, event),
        _fact(event, K.VOID, p.previous_employee_id, key=f"customer:{p.customer_id}"),
    ]


def _stale(event: Recorded, p: crm.CustomerRecordsStale) -> list[Fact]:
    return [
        _fact(event, K.STALE_RECORDS, p.employee_id, on_date=p.as_of, value=Decimal(p.stale_count))
    ]


def _inquiry_responded(event: Recorded, p: crm.InquiryResponded) -> list[Fact]:
    """Counted in the period the answer was due in, like the overdue fact it may replace."""
    kind = K.INQUIRY_ANSWERED_IN_TIME if p.within_deadline else K.INQUIRY_ANSWERED_LATE
    return [
        _fact(
            event,
            kind,
            p.employee_id,
            attributed_at=p.respond_by,
            key=f"inquiry:{p.inquiry_id}",
            revision=1,
        )
    ]


def _inquiry_overdue(event: Recorded, p: crm.InquiryOverdue) -> list[Fact]:
    return [
        _fact(
            event,
            K.INQUIRY_OVERDUE,
            p.employee_id,
            attributed_at=p.respond_by,
            key=f"inquiry:{p.inquiry_id}",
        )
    ]


def _complaint_resolved(event: Recorded, p: crm.ComplaintResolved) -> list[Fact]:
    kind = K.COMPLAINT_RESOLVED_IN_TIME if p.within_deadline else K.COMPLAINT_RESOLVED_LATE
    return [
        _fact(
            event,
            kind,
            p.employee_id,
            attributed_at=p.resolve_by,
            key=f"complaint:{p.complaint_id}",
            revision=1,
        )
    ]


def _complaint_overdue(event: Recorded, p: crm.ComplaintOverdue) -> list[Fact]:
    return [
        _fact(
            event,
            K.COMPLAINT_OVERDUE,
            p.employee_id,
            attributed_at=p.resolve_by,
            key=f"complaint:{p.complaint_id}",
        )
    ]


def _deal_won(event: Recorded, p: crm.DealWon) -> list[Fact]:
    return [_fact(event, K.DEAL_WON, p.employee_id, value=p.amount.amount, unit=p.amount.currency)]


def _rated(event: Recorded, p: crm.SatisfactionRated) -> list[Fact]:
    return [_fact(event, K.SATISFACTION_RATING, p.employee_id, value=Decimal(p.rating))]


def _gift(event: Recorded, p: crm.GiftDeclared) -> list[Fact]:
    if p.decision == "declined":
        return [_fact(event, K.GIFT_DECLINED, p.employee_id)]
    return [_fact(event, K.GIFT_ACCEPTED, p.employee_id, grade=p.severity)]


def _breach(event: Recorded, p: crm.ConductBreachReported) -> list[Fact]:
    kind = K.IMPROPER_DEALING if p.kind == "improper_dealing" else K.CONFIDENTIALITY_BREACH
    return [_fact(event, kind, p.employee_id, on_date=p.occurred_on, grade=p.severity)]


_TRANSLATIONS: dict[type[Payload], Callable[[Recorded, Any], list[Fact]]] = {
    attendance.LateArrivalRecorded: _late_arrival,
    attendance.EarlyDepartureRecorded: _early_departure,
    attendance.AbsenceRecorded: _absence,
    attendance.AttendanceFactWithdrawn: _withdrawn,
    reporting.DailyReportSubmitted: _daily_report,
    reporting.DailyReportMissed: _daily_report_missed,
    reporting.DailyReportMissedWithdrawn: _daily_report_excused,
    reporting.GoalSet: _goal,
    reporting.GoalProgressReported: _progress,
    reporting.GoalProgressReportMissed: _progress_missed,
    reporting.MarketReportSubmitted: _market_report,
    reporting.TrainingCompleted: _training,
    reporting.CertificationObtained: _certification,
    crm.CustomerRegistered: _customer_registered,
    crm.CustomerRecordUpdated: _customer_updated,
    crm.CustomerReassigned: _customer_reassigned,
    crm.CustomerRecordsStale: _stale,
    crm.InquiryResponded: _inquiry_responded,
    crm.InquiryOverdue: _inquiry_overdue,
    crm.ComplaintResolved: _complaint_resolved,
    crm.ComplaintOverdue: _complaint_overdue,
    crm.DealWon: _deal_won,
    crm.SatisfactionRated: _rated,
    crm.GiftDeclared: _gift,
    crm.ConductBreachReported: _breach,
}

COUNTED_EVENT_TYPES = frozenset(model.event_type for model in _TRANSLATIONS)
"""The event types that can give facts; a consumer may filter on these."""


def facts_from(event: Recorded) -> list[Fact]:
    """The facts an event proves, or none."""
    translate = _TRANSLATIONS.get(type(event.payload))
    return translate(event, event.payload) if translate is not None else []
