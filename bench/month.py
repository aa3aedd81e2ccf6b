"""A month of an organisation's work, simulated: punches for attendance's device uploads, a
customer list for crm's import, and the facts of every working day as the services would have
published them (shared contracts, deterministic event ids): reporting's and crm's, and
attendance's for the days whose punches are not uploaded.

Deterministic for a seed. Per employee and working day: a clock-in around 09:00 (about one in
ten late) and a clock-out after 18:00; a daily report on most days; two customer interactions;
now and then an inquiry answered, a rating, a won deal, a record update or a training.
Envelopes are serialised once per event type and day and then filled in per employee, so that
generating a million events costs seconds, not minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from organisation import local

from daybook_shared.contracts import Envelope, Money, Namespace, Payload
from daybook_shared.contracts.attendance import ClockedIn, ClockedOut, LateArrivalRecorded
from daybook_shared.contracts.crm import (
    CustomerRecordUpdated,
    DealWon,
    InquiryResponded,
    InteractionLogged,
    SatisfactionRated,
)
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.contracts.reporting import DailyReportSubmitted, TrainingCompleted
from daybook_shared.kit.ids import derived_id

CUSTOMERS_PER_EMPLOYEE = 2
EMPLOYEE = "EMPLOYEEXX"
SUPERVISOR = "SUPERVISORXX"
CUSTOMER = "CUSTOMERXX"
EVENT_ID = "00000000-0000-4000-8000-00000000feed"
PUNCH_ID = "00000000-0000-4000-8000-00000000cafe"
ENTRY_ID = UUID("00000000-0000-4000-8000-00000000beef")


@dataclass(frozen=True)
class Punch:
    employee_id: str
    kind: str
    device_time: str


def punches(people: Sequence[EmployeeHired], days: Sequence[date], seed: int) -> list[list[Punch]]:
    """Each working day's punches for the whole organisation (one list per day)."""
    chooser = random.Random(seed)
    month = []
    for day in days:
        today = []
        for person in people:
            late = chooser.random() < 0.1
            arrive = chooser.randint(10, 60) if late else chooser.randint(-15, 4)
            leave = chooser.randint(0, 45)
            arrived = local(day, 9) + timedelta(minutes=arrive)
            left = local(day, 18) + timedelta(minutes=leave)
            today.append(Punch(person.employee_id, "in", arrived.isoformat()))
            today.append(Punch(person.employee_id, "out", left.isoformat()))
        month.append(today)
    return month


def customer_csv(people: Sequence[EmployeeHired], rows_per_file: int) -> list[str]:
    """The organisation's customers, a few per salesperson, as crm import files."""
    lines = [
        f"{customer_id(person.employee_id, k)},{person.employee_id},Customer {k} of {person.employee_id}"
        for person in people
        for k in range(CUSTOMERS_PER_EMPLOYEE)
    ]
    header = "external_id,owner_employee_id,name"
    return [
        "\n".join([header, *lines[start : start + rows_per_file]]) + "\n"
        for start in range(0, len(lines), rows_per_file)
    ]


def customer_id(employee: str, k: int) -> str:
    return f"C{employee}-{k}"


def _daily_report(day: date) -> Payload:
    start = local(day, 18, 30)
    return DailyReportSubmitted(
        employee_id=EMPLOYEE,
        report_date=day,
        revision=1,
        work="Visited three prospects and prepared two quotes for the regional buyer",
        progress="Quote accepted in principle; contract draft with legal",
        challenges="Procurement asks for a longer payment term",
        solutions="Offered 60 days against a larger first order",
        supervisor_id=SUPERVISOR,
        submitted_at=start,
        deadline=local(day + timedelta(days=1), 9),
        on_time=True,
    )


def _training(day: date) -> Payload:
    return TrainingCompleted(
        entry_id=ENTRY_ID,
        employee_id=EMPLOYEE,
        kind="training",
        title="Negotiation",
        hours=Decimal("2.5"),
        completed_on=day,
    )


def _interaction(day: date) -> Payload:
    return InteractionLogged(
        interaction_id=f"I{day:%Y%m%d}",
        customer_id=CUSTOMER,
        employee_id=EMPLOYEE,
        channel="call",
        duration_minutes=12,
    )


def _inquiry(day: date) -> Payload:
    received = local(day, 10)
    return InquiryResponded(
        inquiry_id=f"Q{day:%Y%m%d}",
        customer_id=CUSTOMER,
        employee_id=EMPLOYEE,
        received_at=received,
        respond_by=received + timedelta(hours=2),
        responded_at=received + timedelta(minutes=40),
        response_business_minutes=40,
        response_elapsed_minutes=40,
        within_deadline=True,
    )


def _rating(day: date) -> Payload:
    return SatisfactionRated(
        rating_id=f"R{day:%Y%m%d}", customer_id=CUSTOMER, employee_id=EMPLOYEE, rating=4
    )


def _deal(day: date) -> Payload:
    return DealWon(
        deal_id=f"D{day:%Y%m%d}",
        customer_id=CUSTOMER,
        employee_id=EMPLOYEE,
        amount=Money(amount=Decimal("12000.00"), currency="CNY"),
    )


def _record_update(day: date) -> Payload:
    return CustomerRecordUpdated(
        customer_id=CUSTOMER,
        employee_id=EMPLOYEE,
        completeness=80,
        previous_completeness=70,
        changed_fields=("phone",),
    )


# (share of employee-days, builder): the reporting and crm facts of a working day
MIX = (
    (0.92, _daily_report),
    (0.05, _training),
    (1.0, _interaction),
    (1.0, _interaction),
    (0.3, _inquiry),
    (0.2, _rating),
    (0.05, _deal),
    (0.2, _record_update),
)


def _punch(kind: type[ClockedIn] | type[ClockedOut], day: date, hour: int, minute: int) -> Payload:
    at = local(day, hour, minute)
    return kind(
        punch_id=UUID(PUNCH_ID),
        employee_id=EMPLOYEE,
        work_date=day,
        at=at,
        source="device",
        device_id="GATE-1",
        device_time=at,
        received_at=at,
    )


def _attendance_day(day: date, late: bool) -> list[Payload]:
    """What attendance records for a working day with both punches (R-A1: 5 minutes' grace)."""
    if not late:
        return [_punch(ClockedIn, day, 8, 55), _punch(ClockedOut, day, 18, 10)]
    arrived = local(day, 9, 25)
    return [
        _punch(ClockedIn, day, 9, 25),
        LateArrivalRecorded(
            employee_id=EMPLOYEE,
            work_date=day,
            punch_id=UUID(PUNCH_ID),
            scheduled_start=local(day, 9),
            arrived_at=arrived,
            minutes_late=25,
            grace_minutes=5,
            excused=False,
        ),
        _punch(ClockedOut, day, 18, 10),
    ]


def _serialised(namespace: Namespace, payload: Payload, day: date) -> tuple[str, str, str]:
    body = Envelope(
        event_id=UUID(EVENT_ID),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        stream_id=f"{payload.context}-{EMPLOYEE}-{day.isoformat()}",
        stream_version=1,
        occurred_at=local(day, 17),
        recorded_at=local(day, 17),
        producer=payload.context,
        actor_id=EMPLOYEE,
        payload=payload.model_dump(mode="json"),
    ).model_dump_json()
    return (
        payload.event_type,
        namespace.subject(payload.context, payload.event_type, EMPLOYEE),
        body,
    )


def facts(
    namespace: Namespace,
    people: Sequence[EmployeeHired],
    days: Sequence[date],
    seed: int,
    *,
    attendance_days: Sequence[date] = (),
) -> Iterator[tuple[str, bytes, str]]:
    """(subject, body, event id) of every reporting and crm fact of the month, and of the
    attendance facts of `attendance_days` (days whose punches were not uploaded), in day order."""
    chooser = random.Random(seed)
    for day in days:
        templates = [(share, *_serialised(namespace, build(day), day)) for share, build in MIX]
        on_time = [_serialised(namespace, p, day) for p in _attendance_day(day, late=False)]
        late = [_serialised(namespace, p, day) for p in _attendance_day(day, late=True)]
        for person in people:
            employee = person.employee_id
            customer = customer_id(employee, chooser.randrange(CUSTOMERS_PER_EMPLOYEE))
            chosen = [t[1:] for t in templates if t[0] >= 1.0 or chooser.random() < t[0]]
            if day in attendance_days:
                chosen += late if chooser.random() < 0.1 else on_time
            punch_id = str(derived_id("bench-punch", employee, day))
            for position, (kind, subject, body) in enumerate(chosen):
                event_id = str(derived_id("bench", kind, position, employee, day))
                yield (
                    subject.replace(EMPLOYEE, employee),
                    body.replace(EVENT_ID, event_id)
                    .replace(PUNCH_ID, punch_id)
                    .replace(SUPERVISOR, person.supervisor_id or employee)
                    .replace(CUSTOMER, customer)
                    .replace(EMPLOYEE, employee)
                    .encode(),
                    event_id,
                )
