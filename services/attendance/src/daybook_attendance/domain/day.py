"""One employee's working day: its punches, requests, corrections and the facts derived from them.

A day is one event stream (`attendance-day-<employee>-<date>`), so everything that decides a
day's lateness, early leave and absence is serialised by that stream's version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal, TypeAlias
from uuid import UUID

from daybook_attendance.domain.events import EventLike
from daybook_attendance.domain.schedules import WorkSchedule
from daybook_attendance.domain.timekeeping import utc
from daybook_shared.contracts.attendance import (
    AbsenceRecorded,
    AttendanceCorrected,
    AttendanceDayClosed,
    AttendanceFactWithdrawn,
    ClockedIn,
    ClockedOut,
    EarlyDepartureRecorded,
    EarlyLeaveApproved,
    EarlyLeaveRejected,
    EarlyLeaveRequested,
    LateArrivalApproved,
    LateArrivalRecorded,
    LateArrivalRejected,
    LateArrivalRequested,
    LeaveType,
)
from daybook_shared.contracts.base import Payload

PunchKind = Literal["in", "out"]
RequestKind = Literal["late_arrival", "early_leave"]
RequestStatus = Literal["pending", "approved", "rejected"]
DerivedFact: TypeAlias = (
    LateArrivalRecorded | EarlyDepartureRecorded | AbsenceRecorded | AttendanceDayClosed
)

# The order a day's derived facts are recorded in: the summary comes last.
DERIVED_ORDER: tuple[str, ...] = (
    "LateArrivalRecorded",
    "EarlyDepartureRecorded",
    "AbsenceRecorded",
    "AttendanceDayClosed",
)


def day_stream(employee_id: str, work_date: date) -> str:
    return f"attendance-day-{employee_id}-{work_date.isoformat()}"


@dataclass(frozen=True)
class Punch:
    punch_id: UUID
    kind: PunchKind
    at: datetime
    source: str
    voided: bool = False


@dataclass(frozen=True)
class DayRequest:
    """A late-arrival request (`target` is the expected arrival) or an early-leave request
    (`target` is when the employee means to leave)."""

    request_id: UUID
    kind: RequestKind
    target: datetime
    requested_at: datetime
    status: RequestStatus = "pending"


@dataclass(frozen=True)
class RecordedFact:
    event_id: UUID
    occurred_at: datetime
    payload: DerivedFact


@dataclass(frozen=True)
class AttendanceDay:
    employee_id: str
    work_date: date
    punches: tuple[Punch, ...] = ()
    requests: tuple[DayRequest, ...] = ()
    correction_ids: frozenset[UUID] = frozenset()
    facts: dict[str, RecordedFact] = field(default_factory=dict)
    """The derived facts in force, by event type (withdrawn ones are gone)."""
    generations: dict[str, int] = field(default_factory=dict)
    """How many facts of each type were ever recorded: the next one's id is the next number."""
    closed: bool = False

    def has_punch(self, punch_id: UUID) -> bool:
        return any(p.punch_id == punch_id for p in self.punches)

    def punch(self, punch_id: UUID) -> Punch | None:
        return next((p for p in self.punches if p.punch_id == punch_id), None)

    def active_punches(self) -> list[Punch]:
        """Punches that count, in time order; at the same instant a clock-in goes first."""
        return sorted(
            (p for p in self.punches if not p.voided),
            key=lambda p: (p.at, 0 if p.kind == "in" else 1),
        )

    def request(self, request_id: UUID) -> DayRequest | None:
        return next((r for r in self.requests if r.request_id == request_id), None)


@dataclass(frozen=True)
class ApprovedLeave:
    request_id: UUID
    leave_type: LeaveType


@dataclass(frozen=True)
class DayContext:
    """What a day's evaluation needs from outside the day's stream: the schedule in force, the
    holiday calendar and approved leave, and the timezone the day is measured in."""

    timezone: str
    schedule: WorkSchedule | None = None
    holiday: str | None = None
    leave: ApprovedLeave | None = None

    def is_workday(self, day: date) -> bool:
        return self.schedule is not None and self.schedule.is_workday(day) and self.holiday is None

    def why_not_a_workday(self, day: date) -> str:
        if self.schedule is None:
            return "no work schedule applies"
        if self.holiday is not None:
            return f"it is the holiday {self.holiday!r}"
        return "it is a rest day in the schedule"


def evolve_day(day: AttendanceDay, event: EventLike) -> AttendanceDay:
    payload: Payload = event.payload
    match payload:
        case ClockedIn() | ClockedOut():
            kind: PunchKind = "in" if isinstance(payload, ClockedIn) else "out"
            punch = Punch(payload.punch_id, kind, utc(payload.at), payload.source)
            return replace(day, punches=(*day.punches, punch))
        case AttendanceCorrected():
            voided = set(payload.voided_punch_ids)
            punches = tuple(
                replace(p, voided=True) if p.punch_id in voided else p for p in day.punches
            )
            return replace(
                day,
                punches=punches,
                correction_ids=day.correction_ids | {payload.correction_id},
            )
        case LateArrivalRequested():
            request = DayRequest(
                payload.request_id,
                "late_arrival",
                utc(payload.expected_arrival),
                utc(payload.requested_at),
            )
            return replace(day, requests=(*day.requests, request))
        case EarlyLeaveRequested():
            request = DayRequest(
                payload.request_id, "early_leave", utc(payload.leave_at), utc(payload.requested_at)
            )
            return replace(day, requests=(*day.requests, request))
        case LateArrivalApproved() | EarlyLeaveApproved():
            return _set_status(day, payload.request_id, "approved")
        case LateArrivalRejected() | EarlyLeaveRejected():
            return _set_status(day, payload.request_id, "rejected")
        case (
            LateArrivalRecorded()
            | EarlyDepartureRecorded()
            | AbsenceRecorded()
            | AttendanceDayClosed()
        ):
            assert event.event_id is not None, "derived facts carry deterministic ids"
            kind_name = payload.event_type
            facts = {
                **day.facts,
                kind_name: RecordedFact(event.event_id, utc(event.occurred_at), payload),
            }
            generations = {**day.generations, kind_name: day.generations.get(kind_name, 0) + 1}
            closed = day.closed or isinstance(payload, AttendanceDayClosed)
            return replace(day, facts=facts, generations=generations, closed=closed)
        case AttendanceFactWithdrawn():
            facts = {
                name: fact
                for name, fact in day.facts.items()
                if fact.event_id != payload.withdrawn_event_id
            }
            return replace(day, facts=facts)
    raise TypeError(f"{type(payload).__name__} does not belong to a day's stream")


def _set_status(day: AttendanceDay, request_id: UUID, status: RequestStatus) -> AttendanceDay:
    requests = tuple(
        replace(r, status=status) if r.request_id == request_id else r for r in day.requests
    )
    return replace(day, requests=requests)


def replay_day(employee_id: str, work_date: date, events: Sequence[EventLike]) -> AttendanceDay:
    day = AttendanceDay(employee_id, work_date)
    for event in events:
        day = evolve_day(day, event)
    return day
