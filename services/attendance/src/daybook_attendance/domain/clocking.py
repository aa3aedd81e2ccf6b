"""Decisions on one working day: punches, requests and their approval, corrections, the close.

Every decision that can change what the day's facts should be ends in `reconcile`, so a late
punch, an approval after the punch, a correction or a changed context all compensate the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from daybook_attendance.domain.day import (
    AttendanceDay,
    DayContext,
    Punch,
    PunchKind,
    evolve_day,
)
from daybook_attendance.domain.errors import (
    AlreadyDecided,
    ClockOutBeforeClockIn,
    DayNotOver,
    InvalidCommand,
    NotAWorkday,
    PunchInFuture,
    PunchNotFound,
    RequestNotFound,
    WrongWorkDate,
)
from daybook_attendance.domain.evaluation import derive, reconcile
from daybook_attendance.domain.events import DecidedEvent
from daybook_attendance.domain.schedules import WorkSchedule
from daybook_attendance.domain.timekeeping import day_end, local_date, local_text, utc
from daybook_shared.contracts.attendance import (
    AttendanceCorrected,
    ClockedIn,
    ClockedOut,
    EarlyLeaveApproved,
    EarlyLeaveRejected,
    EarlyLeaveRequested,
    LateArrivalApproved,
    LateArrivalRejected,
    LateArrivalRequested,
    PunchSource,
    WithdrawalCause,
)
from daybook_shared.contracts.base import Payload
from daybook_shared.errors import DomainError
from daybook_shared.kit.ids import derived_id

# A device's clock may run a little ahead of the server's; beyond this a punch is refused.
DEVICE_CLOCK_DRIFT = timedelta(minutes=5)


def device_punch_id(
    device_id: str, employee_id: str, kind: PunchKind, device_time: datetime
) -> UUID:
    """The same punch from the same device is the same punch, whether posted alone or in any
    number of uploads: duplicates are recognised by this id and ignored."""
    return derived_id(
        "attendance", "punch", device_id, employee_id, kind, utc(device_time).isoformat()
    )


@dataclass(frozen=True)
class RecordPunch:
    employee_id: str
    work_date: date
    punch_id: UUID
    kind: PunchKind
    at: datetime
    source: PunchSource
    received_at: datetime
    device_id: str | None = None
    device_time: datetime | None = None


@dataclass(frozen=True)
class RequestLateArrival:
    employee_id: str
    work_date: date
    request_id: UUID
    expected_arrival: datetime
    reason: str
    requested_at: datetime


@dataclass(frozen=True)
class RequestEarlyLeave:
    employee_id: str
    work_date: date
    request_id: UUID
    leave_at: datetime
    reason: str
    requested_at: datetime


@dataclass(frozen=True)
class DecideRequest:
    """Approve or reject a late-arrival or early-leave request of the day."""

    employee_id: str
    work_date: date
    request_id: UUID
    approve: bool
    decided_by: str
    decided_at: datetime
    note: str | None = None


@dataclass(frozen=True)
class PunchToAdd:
    kind: PunchKind
    at: datetime


@dataclass(frozen=True)
class CorrectDay:
    employee_id: str
    work_date: date
    correction_id: UUID
    reason: str
    corrected_by: str
    corrected_at: datetime
    add: tuple[PunchToAdd, ...] = ()
    void: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class CloseDay:
    employee_id: str
    work_date: date
    now: datetime


@dataclass(frozen=True)
class ReevaluateDay:
    """Something outside the day's stream changed (leave, a holiday, a schedule): bring the
    day's facts up to date."""

    employee_id: str
    work_date: date
    cause: WithdrawalCause


DayCommand = (
    RecordPunch
    | RequestLateArrival
    | RequestEarlyLeave
    | DecideRequest
    | CorrectDay
    | CloseDay
    | ReevaluateDay
)


def decide_day(command: DayCommand, day: AttendanceDay, context: DayContext) -> list[DecidedEvent]:
    match command:
        case RecordPunch():
            return _record_punch(command, day, context)
        case RequestLateArrival():
            return _request_late_arrival(command, day, context)
        case RequestEarlyLeave():
            return _request_early_leave(command, day, context)
        case DecideRequest():
            return _decide_request(command, day, context)
        case CorrectDay():
            return _correct(command, day, context)
        case CloseDay():
            return _close(command, day, context)
        case ReevaluateDay():
            return reconcile(day, derive(day, context, closed=day.closed), command.cause)
    raise TypeError(f"not a day command: {command!r}")


def _then_reconcile(
    day: AttendanceDay, context: DayContext, decided: list[DecidedEvent], cause: WithdrawalCause
) -> list[DecidedEvent]:
    after = day
    for event in decided:
        after = evolve_day(after, event)
    return [*decided, *reconcile(after, derive(after, context, closed=after.closed), cause)]


def _ensure_on_day(instant: datetime, day: AttendanceDay, context: DayContext, field: str) -> None:
    if local_date(instant, context.timezone) != day.work_date:
        raise WrongWorkDate(
            f"{field} {local_text(instant, context.timezone)} is not on {day.work_date}",
            field=field,
        )


def _ensure_clock_outs_follow_clock_ins(punches: list[Punch], timezone: str) -> None:
    for out in (p for p in punches if p.kind == "out"):
        if not any(p.kind == "in" and p.at <= out.at for p in punches):
            raise ClockOutBeforeClockIn(
                f"clock-out at {local_text(out.at, timezone)} comes before any clock-in that day",
                field="kind",
            )


def _punch_event(
    command: RecordPunch, day: AttendanceDay, context: DayContext
) -> DecidedEvent | None:
    """The punch as an event, or None for a duplicate; refuses a punch that cannot be."""
    if day.has_punch(command.punch_id):
        return None
    at = utc(command.at)
    field = "device_time" if command.device_time is not None else "at"
    _ensure_on_day(at, day, context, field)
    if at > utc(command.received_at) + DEVICE_CLOCK_DRIFT:
        raise PunchInFuture(
            f"{field} {local_text(at, context.timezone)} is in the future (received "
            f"{local_text(command.received_at, context.timezone)})",
            field=field,
        )
    if command.kind == "out":
        _ensure_clock_outs_follow_clock_ins(
            [*day.active_punches(), Punch(command.punch_id, "out", at, command.source)],
            context.timezone,
        )
    kind = ClockedIn if command.kind == "in" else ClockedOut
    payload = kind(
        punch_id=command.punch_id,
        employee_id=day.employee_id,
        work_date=day.work_date,
        at=at,
        source=command.source,
        device_id=command.device_id,
        device_time=command.device_time,
        received_at=command.received_at,
    )
    return DecidedEvent(payload, at, command.punch_id)


def _record_punch(
    command: RecordPunch, day: AttendanceDay, context: DayContext
) -> list[DecidedEvent]:
    punch = _punch_event(command, day, context)
    return [] if punch is None else _then_reconcile(day, context, [punch], "punch_recorded")


@dataclass(frozen=True)
class PunchBatch:
    """What a batch of punches on one day decided: the events, which punches were duplicates,
    and the refused ones with the reason (by their position in the batch)."""

    events: list[DecidedEvent]
    duplicates: frozenset[int]
    refused: dict[int, DomainError]


def decide_punch_batch(
    commands: Sequence[RecordPunch], day: AttendanceDay, context: DayContext
) -> PunchBatch:
    """A device's punches for one day, applied in time order whatever their order in the upload,
    then evaluated once: a batch uploaded after the close revises the day's facts once, not once
    per punch."""
    order = sorted(range(len(commands)), key=lambda i: (utc(commands[i].at), i))
    punches: list[DecidedEvent] = []
    duplicates: set[int] = set()
    refused: dict[int, DomainError] = {}
    after = day
    for position in order:
        try:
            punch = _punch_event(commands[position], after, context)
        except DomainError as exc:
            refused[position] = exc
            continue
        if punch is None:
            duplicates.add(position)
            continue
        punches.append(punch)
        after = evolve_day(after, punch)
    if not punches:
        return PunchBatch([], frozenset(duplicates), refused)
    derived = reconcile(after, derive(after, context, closed=after.closed), "punch_recorded")
    return PunchBatch([*punches, *derived], frozenset(duplicates), refused)


def _scheduled(day: AttendanceDay, context: DayContext) -> WorkSchedule:
    if not context.is_workday(day.work_date) or context.schedule is None:
        raise NotAWorkday(
            f"{day.work_date} is not a workday for {day.employee_id!r}: "
            f"{context.why_not_a_workday(day.work_date)}",
            field="work_date",
        )
    return context.schedule


def _request_late_arrival(
    command: RequestLateArrival, day: AttendanceDay, context: DayContext
) -> list[DecidedEvent]:
    """A late arrival is applied for in advance (R-A1): `in_advance` is fixed when the request is
    made, before or after the scheduled start. A request made after is kept, but never excuses."""
    if day.request(command.request_id) is not None:
        return []
    schedule = _scheduled(day, context)
    expected = utc(command.expected_arrival)
    _ensure_on_day(expected, day, context, "expected_arrival")
    start, end = schedule.start_on(day.work_date), schedule.end_on(day.work_date)
    if expected <= start:
        raise InvalidCommand(
            f"expected_arrival {local_text(expected, context.timezone)} is not after the "
            f"scheduled start {local_text(start, context.timezone)}",
            field="expected_arrival",
        )
    if expected >= end:
        raise InvalidCommand(
            f"expected_arrival {local_text(expected, context.timezone)} is not before the "
            f"scheduled end {local_text(end, context.timezone)}; ask for a day's leave instead",
            field="expected_arrival",
        )
    requested_at = utc(command.requested_at)
    payload = LateArrivalRequested(
        request_id=command.request_id,
        employee_id=day.employee_id,
        work_date=day.work_date,
        expected_arrival=expected,
        scheduled_start=start,
        requested_at=requested_at,
        in_advance=requested_at < start,
        reason=command.reason,
    )
    return [DecidedEvent(payload, requested_at)]


def _request_early_leave(
    command: RequestEarlyLeave, day: AttendanceDay, context: DayContext
) -> list[DecidedEvent]:
    if day.request(command.request_id) is not None:
        return []
    schedule = _scheduled(day, context)
    leave_at = utc(command.leave_at)
    _ensure_on_day(leave_at, day, context, "leave_at")
    start, end = schedule.start_on(day.work_date), schedule.end_on(day.work_date)
    if leave_at >= end:
        raise InvalidCommand(
            f"leave_at {local_text(leave_at, context.timezone)} is not before the scheduled end "
            f"{local_text(end, context.timezone)}",
            field="leave_at",
        )
    if leave_at <= start:
        raise InvalidCommand(
            f"leave_at {local_text(leave_at, context.timezone)} is not after the scheduled "
            f"start {local_text(start, context.timezone)}; ask for a day's leave instead",
            field="leave_at",
        )
    requested_at = utc(command.requested_at)
    payload = EarlyLeaveRequested(
        request_id=command.request_id,
        employee_id=day.employee_id,
        work_date=day.work_date,
        leave_at=leave_at,
        scheduled_end=end,
        requested_at=requested_at,
        reason=command.reason,
    )
    return [DecidedEvent(payload, requested_at)]


def _decide_request(
    command: DecideRequest, day: AttendanceDay, context: DayContext
) -> list[DecidedEvent]:
    """An approval may arrive after the punch it excuses: the late arrival already recorded is
    withdrawn and recorded again as excused (only if the request was made in advance, R-A1)."""
    request = day.request(command.request_id)
    if request is None:
        raise RequestNotFound(
            f"no request {command.request_id} on {day.work_date}", field="request_id"
        )
    if request.status != "pending":
        raise AlreadyDecided(f"request {command.request_id} was already {request.status}")
    common = {
        "request_id": request.request_id,
        "employee_id": day.employee_id,
        "work_date": day.work_date,
        "decided_by": command.decided_by,
        "decided_at": command.decided_at,
        "note": command.note,
    }
    if request.kind == "late_arrival":
        start = context.schedule.start_on(day.work_date) if context.schedule else None
        in_advance = start is not None and request.requested_at < start
        payload: Payload = (
            LateArrivalApproved(**common, in_advance=in_advance)
            if command.approve
            else LateArrivalRejected(**common)
        )
    else:
        payload = EarlyLeaveApproved(**common) if command.approve else EarlyLeaveRejected(**common)
    return _then_reconcile(
        day, context, [DecidedEvent(payload, command.decided_at)], "request_decided"
    )


def correction_punch_id(correction_id: UUID, position: int) -> UUID:
    return derived_id("attendance", "correction-punch", correction_id, position)


def _correct(command: CorrectDay, day: AttendanceDay, context: DayContext) -> list[DecidedEvent]:
    """A supervisor's correction adds missing punches or voids wrong ones, with a reason. Nothing
    is overwritten: the voided punches stay in the log, and derived facts that change are
    withdrawn and recorded again."""
    if command.correction_id in day.correction_ids:
        return []
    if not command.add and not command.void:
        raise InvalidCommand("a correction adds or voids at least one punch", field="add")
    for punch_id in command.void:
        punch = day.punch(punch_id)
        if punch is None:
            raise PunchNotFound(f"{day.work_date} has no punch {punch_id}", field="void")
        if punch.voided:
            raise AlreadyDecided(f"punch {punch_id} was already voided", field="void")
    corrected_at = utc(command.corrected_at)
    added: list[DecidedEvent] = []
    added_ids: list[UUID] = []
    for position, item in enumerate(command.add):
        at = utc(item.at)
        _ensure_on_day(at, day, context, "add")
        if at > corrected_at:
            raise PunchInFuture(
                f"an added punch at {local_text(at, context.timezone)} is in the future",
                field="add",
            )
        punch_id = correction_punch_id(command.correction_id, position)
        kind = ClockedIn if item.kind == "in" else ClockedOut
        payload = kind(
            punch_id=punch_id,
            employee_id=day.employee_id,
            work_date=day.work_date,
            at=at,
            source="correction",
            received_at=corrected_at,
            correction_id=command.correction_id,
        )
        added.append(DecidedEvent(payload, at, punch_id))
        added_ids.append(punch_id)
    corrected = AttendanceCorrected(
        correction_id=command.correction_id,
        employee_id=day.employee_id,
        work_date=day.work_date,
        corrected_by=command.corrected_by,
        reason=command.reason,
        added_punch_ids=tuple(added_ids),
        voided_punch_ids=command.void,
    )
    decided = [DecidedEvent(corrected, corrected_at), *added]
    after = day
    for event in decided:
        after = evolve_day(after, event)
    _ensure_clock_outs_follow_clock_ins(after.active_punches(), context.timezone)
    return [*decided, *reconcile(after, derive(after, context, closed=after.closed), "correction")]


def _close(command: CloseDay, day: AttendanceDay, context: DayContext) -> list[DecidedEvent]:
    """The day closes once it has ended in the employee's timezone (not the server's). Closing a
    closed day decides nothing, so any number of runs, on any number of replicas, agree."""
    if day.closed:
        return []
    ends = day_end(day.work_date, context.timezone)
    if utc(command.now) < ends:
        raise DayNotOver(
            f"{day.work_date} has not ended in {context.timezone}: it ends at "
            f"{ends.isoformat()}, and cannot be closed before",
            field="work_date",
        )
    return reconcile(day, derive(day, context, closed=True), "day_closed")
