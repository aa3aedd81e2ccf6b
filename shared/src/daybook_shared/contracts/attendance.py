"""Attendance context events: working hours, punctuality and absence (R-A1, R-B3.1).

Published by the attendance service on the ATTENDANCE stream, keyed by employee. They carry ids,
times and counts only (R-B3.4). Every time is timezone-aware; `work_date` is the calendar day in
the employee's schedule timezone that a fact belongs to, so the same day means the same thing on
every server.

Three kinds of event:

- **Facts people and devices report**: `ClockedIn`, `ClockedOut`, the requests and their decisions
  (`LateArrivalRequested/Approved/Rejected`, `EarlyLeaveRequested/Approved/Rejected`,
  `LeaveRequested/Approved/Rejected`), `WorkScheduleAssigned`, `HolidayDeclared`,
  `HolidayCancelled` and a supervisor's `AttendanceCorrected`. They are never withdrawn; a
  correction voids a punch by naming it in `AttendanceCorrected.voided_punch_ids`.
- **Derived facts** the service evaluates from them: `LateArrivalRecorded` (at the first clock-in),
  `EarlyDepartureRecorded`, `AbsenceRecorded` and `AttendanceDayClosed` (at the day close, after
  the day has ended in the employee's timezone). Their event ids are deterministic, so a day close
  run twice, by two replicas or after a replay, records nothing twice.
- **Compensation**: `AttendanceFactWithdrawn` names a derived fact (by `withdrawn_event_id`) that
  no longer holds because something arrived later: a punch uploaded after its day closed, a
  supervisor's correction, an approval after the punch, an approved leave, a holiday, a schedule.
  When the fact changed rather than vanished, the replacement is recorded as a new derived fact
  with a new id, named in `superseded_by_event_id`.

How to count correctly, in any order of delivery: keep the derived facts by event id, and drop
every one that an `AttendanceFactWithdrawn` names (remember withdrawals whose fact has not arrived
yet). Sums and counts over what remains are right: at most one `LateArrivalRecorded`,
`EarlyDepartureRecorded`, `AbsenceRecorded` and `AttendanceDayClosed` per employee and `work_date`
remains in force at any time. A withdrawal carries the withdrawn fact's `work_date` and business
time (`occurred_at`), so a consumer that buckets by period subtracts in the period it added to.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, ClassVar, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator, model_validator

from daybook_shared.contracts.base import EmployeeId, Identifier, Payload, ShortText
from daybook_shared.contracts.hr import TimeZoneName

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""In `date.weekday()` order, so `WEEKDAYS[d.weekday()]` names a date's weekday."""

PunchSource = Literal["web", "device", "import", "correction"]
"""web: the employee over HTTP; device: a badge or biometric device posting one punch; import: a
device's bulk upload; correction: added by a supervisor's `AttendanceCorrected`."""

LeaveType = Literal["annual", "sick", "personal", "unpaid", "other"]
DayKind = Literal["workday", "rest_day", "holiday", "unscheduled"]
"""How the schedule and the holiday calendar saw a closed day; only a workday can be late, early
or absent."""

DerivedFactType = Literal[
    "LateArrivalRecorded", "EarlyDepartureRecorded", "AbsenceRecorded", "AttendanceDayClosed"
]
WithdrawalCause = Literal[
    "punch_recorded",
    "day_closed",
    "correction",
    "request_decided",
    "leave_decided",
    "holiday_changed",
    "schedule_changed",
]
"""What made a derived fact no longer hold."""

DeviceId = Identifier
Minutes = Annotated[int, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]
GraceMinutes = Annotated[int, Field(ge=0, le=240)]
Reason = Annotated[ShortText, Field(description="Why, in the person's words (no personal data)")]


class AttendanceEvent(Payload):
    context: ClassVar[str] = "attendance"


# Schedules and the calendar ------------------------------------------------------------------


class WorkScheduleAssigned(AttendanceEvent):
    """The employee works `starts_at`-`ends_at` (local times in `timezone`) on `workdays`, from
    `effective_from` on, until a later assignment takes over. Arriving after start + late grace is
    a late arrival; leaving before end - early grace is an early departure (R-A1, R-B3.1)."""

    event_type: ClassVar[str] = "WorkScheduleAssigned"
    schedule_id: UUID
    employee_id: EmployeeId
    workdays: tuple[Weekday, ...] = Field(min_length=1, max_length=7)
    starts_at: time
    ends_at: time
    late_grace_minutes: GraceMinutes
    early_grace_minutes: GraceMinutes
    timezone: TimeZoneName
    effective_from: date

    @field_validator("workdays")
    @classmethod
    def _distinct_in_week_order(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError("workdays lists a day twice")
        return tuple(sorted(days, key=WEEKDAYS.index))

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _local_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError(
                "a schedule time is a local wall-clock time; give the zone in timezone"
            )
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at (a day's hours end the same day)")
        return self


class HolidayDeclared(AttendanceEvent):
    """The company holiday calendar marks `holiday_date` as a day off for everyone: no lateness,
    early leave or absence is recorded on it."""

    event_type: ClassVar[str] = "HolidayDeclared"
    holiday_date: date
    name: ShortText

    def partition_key(self) -> str:
        return "calendar"


class HolidayCancelled(AttendanceEvent):
    """A declared holiday is a working day again after all."""

    event_type: ClassVar[str] = "HolidayCancelled"
    holiday_date: date
    reason: Reason

    def partition_key(self) -> str:
        return "calendar"


# Clocking --------------------------------------------------------------------------------------


class _Punch(AttendanceEvent):
    """One clock-in or clock-out. `at` is the business time the evaluation uses: the device's time
    for device punches (`device_time`), the receive time for web punches. `received_at` is when the
    service got it; both are kept, so a late upload is processed by its own time."""

    punch_id: UUID
    employee_id: EmployeeId
    work_date: date
    at: AwareDatetime
    source: PunchSource
    device_id: DeviceId | None = None
    device_time: AwareDatetime | None = None
    received_at: AwareDatetime
    correction_id: UUID | None = None

    @model_validator(mode="after")
    def _source_fields(self) -> Self:
        from_device = self.source in ("device", "import")
        if from_device and (self.device_id is None or self.device_time is None):
            raise ValueError("a device punch carries device_id and device_time")
        if self.source == "correction" and self.correction_id is None:
            raise ValueError("a punch added by a correction names the correction_id")
        return self


class ClockedIn(_Punch):
    """The employee started (or resumed) work at `at`; the first clock-in of a workday decides
    lateness (R-A1). Device punches keep `device_id`, `device_time` and `received_at`."""

    event_type: ClassVar[str] = "ClockedIn"


class ClockedOut(_Punch):
    """The employee stopped work at `at`; the day's last clock-out decides early departure at the
    day close (R-A1). A clock-out always follows a clock-in of the same day."""

    event_type: ClassVar[str] = "ClockedOut"


# Requests and decisions -----------------------------------------------------------------------


class LateArrivalRequested(AttendanceEvent):
    """The employee asks to arrive late on `work_date`, by `expected_arrival`. It counts as made
    in advance only when `requested_at` is before the scheduled start; a request made later is
    kept but never excuses the late arrival (R-A1)."""

    event_type: ClassVar[str] = "LateArrivalRequested"
    request_id: UUID
    employee_id: EmployeeId
    work_date: date
    expected_arrival: AwareDatetime
    scheduled_start: AwareDatetime
    requested_at: AwareDatetime
    in_advance: bool
    reason: Reason


class _Decision(AttendanceEvent):
    request_id: UUID
    employee_id: EmployeeId
    decided_by: EmployeeId
    decided_at: AwareDatetime
    note: ShortText | None = None


class LateArrivalApproved(_Decision):
    """The supervisor approved; `in_advance` repeats whether the request can excuse (R-A1)."""

    event_type: ClassVar[str] = "LateArrivalApproved"
    work_date: date
    in_advance: bool


class LateArrivalRejected(_Decision):
    """The supervisor rejected the late-arrival request; the late arrival stays unexcused."""

    event_type: ClassVar[str] = "LateArrivalRejected"
    work_date: date


class EarlyLeaveRequested(AttendanceEvent):
    """The employee asks to leave at `leave_at`, before the scheduled end of `work_date`."""

    event_type: ClassVar[str] = "EarlyLeaveRequested"
    request_id: UUID
    employee_id: EmployeeId
    work_date: date
    leave_at: AwareDatetime
    scheduled_end: AwareDatetime
    requested_at: AwareDatetime
    reason: Reason


class EarlyLeaveApproved(_Decision):
    """The supervisor approved leaving early; it excuses a departure after the request was made
    and no earlier than its `leave_at` (less grace)."""

    event_type: ClassVar[str] = "EarlyLeaveApproved"
    work_date: date


class EarlyLeaveRejected(_Decision):
    """The supervisor rejected leaving early; an early departure stays unexcused."""

    event_type: ClassVar[str] = "EarlyLeaveRejected"
    work_date: date


class LeaveRequested(AttendanceEvent):
    """Whole days off, `first_day` to `last_day` inclusive; approved leave excuses an absence."""

    event_type: ClassVar[str] = "LeaveRequested"
    request_id: UUID
    employee_id: EmployeeId
    first_day: date
    last_day: date
    leave_type: LeaveType
    requested_at: AwareDatetime
    reason: Reason

    @model_validator(mode="after")
    def _ordered_days(self) -> Self:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        return self


class LeaveApproved(_Decision):
    """The supervisor approved the leave: an absence on these days is excused, also on days
    already closed (by compensation)."""

    event_type: ClassVar[str] = "LeaveApproved"
    first_day: date
    last_day: date
    leave_type: LeaveType


class LeaveRejected(_Decision):
    """The supervisor rejected the leave; absences on those days stay unexcused."""

    event_type: ClassVar[str] = "LeaveRejected"
    first_day: date
    last_day: date


# Derived facts (deterministic event ids) -------------------------------------------------------


class LateArrivalRecorded(AttendanceEvent):
    """The first clock-in of a workday came after start + grace (R-A1, R-B3.1). `minutes_late`
    counts from the scheduled start. Excused only by an approved late-arrival request made before
    the start, and only up to its expected arrival (plus grace); `excused_by_request_id` names it."""

    event_type: ClassVar[str] = "LateArrivalRecorded"
    employee_id: EmployeeId
    work_date: date
    punch_id: UUID
    scheduled_start: AwareDatetime
    arrived_at: AwareDatetime
    minutes_late: int = Field(ge=1)
    grace_minutes: GraceMinutes
    excused: bool
    excused_by_request_id: UUID | None = None


class EarlyDepartureRecorded(AttendanceEvent):
    """At the day close, the last clock-out of a workday was before end - grace (R-A1, R-B3.1).
    `minutes_early` counts to the scheduled end. Excused only by an approved early-leave request
    made before leaving, and only from its `leave_at` (less grace) on."""

    event_type: ClassVar[str] = "EarlyDepartureRecorded"
    employee_id: EmployeeId
    work_date: date
    punch_id: UUID
    scheduled_end: AwareDatetime
    departed_at: AwareDatetime
    minutes_early: int = Field(ge=1)
    grace_minutes: GraceMinutes
    excused: bool
    excused_by_request_id: UUID | None = None


class AbsenceRecorded(AttendanceEvent):
    """At the day close, a workday (not a holiday) had no punch (R-B3.1). Excused when the day was
    covered by approved leave, named by `excused_by_leave_request_id`."""

    event_type: ClassVar[str] = "AbsenceRecorded"
    employee_id: EmployeeId
    work_date: date
    excused: bool
    excused_by_leave_request_id: UUID | None = None
    leave_type: LeaveType | None = None


class AttendanceDayClosed(AttendanceEvent):
    """The day has ended in the employee's timezone and was evaluated. `worked_minutes` sums the
    clock-in to clock-out intervals; an interval left open (`missing_clock_out`) counts nothing
    until a correction closes it. `revision` counts this day's closes: a later fact withdraws
    revision n and records n + 1."""

    event_type: ClassVar[str] = "AttendanceDayClosed"
    employee_id: EmployeeId
    work_date: date
    timezone: TimeZoneName
    day_kind: DayKind
    on_leave_request_id: UUID | None = None
    scheduled_minutes: Minutes
    worked_minutes: Minutes
    punch_count: Count
    first_clock_in: AwareDatetime | None = None
    last_clock_out: AwareDatetime | None = None
    missing_clock_out: bool
    revision: int = Field(ge=1)


class AttendanceFactWithdrawn(AttendanceEvent):
    """A derived fact no longer holds; consumers drop `withdrawn_event_id` from their counts. When
    it was replaced rather than dropped, `superseded_by_event_id` names the replacement, recorded
    in the same transaction right after this event."""

    event_type: ClassVar[str] = "AttendanceFactWithdrawn"
    employee_id: EmployeeId
    work_date: date
    withdrawn_event_id: UUID
    withdrawn_event_type: DerivedFactType
    superseded_by_event_id: UUID | None = None
    cause: WithdrawalCause


# Corrections -----------------------------------------------------------------------------------


class AttendanceCorrected(AttendanceEvent):
    """A supervisor (or hr) corrected a day, with a reason; nothing is overwritten. Added punches
    follow as `ClockedIn`/`ClockedOut` with `source="correction"`; voided punches stay in the log
    and stop counting. Derived facts that change are withdrawn and re-recorded right after."""

    event_type: ClassVar[str] = "AttendanceCorrected"
    correction_id: UUID
    employee_id: EmployeeId
    work_date: date
    corrected_by: EmployeeId
    reason: Reason
    added_punch_ids: tuple[UUID, ...] = ()
    voided_punch_ids: tuple[UUID, ...] = ()

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.added_punch_ids and not self.voided_punch_ids:
            raise ValueError("a correction adds or voids at least one punch")
        return self
