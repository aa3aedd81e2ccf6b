"""Leave requests: whole days off, approved or rejected by the employee's supervisor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from daybook_attendance.domain.errors import AlreadyDecided, InvalidCommand, RequestNotFound
from daybook_attendance.domain.events import DecidedEvent
from daybook_shared.contracts.attendance import (
    LeaveApproved,
    LeaveRejected,
    LeaveRequested,
    LeaveType,
)

MAX_LEAVE_DAYS = 366
RequestStatus = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True)
class LeaveRequest:
    request_id: UUID
    employee_id: str
    first_day: date
    last_day: date
    leave_type: LeaveType
    status: RequestStatus = "pending"

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)


def leave_stream(request_id: UUID) -> str:
    return f"attendance-leave-{request_id}"


def evolve_leave(
    request: LeaveRequest | None, event: LeaveRequested | LeaveApproved | LeaveRejected
) -> LeaveRequest | None:
    if isinstance(event, LeaveRequested):
        return LeaveRequest(
            request_id=event.request_id,
            employee_id=event.employee_id,
            first_day=event.first_day,
            last_day=event.last_day,
            leave_type=event.leave_type,
        )
    assert request is not None, "a decision follows its request in the stream"
    status: RequestStatus = "approved" if isinstance(event, LeaveApproved) else "rejected"
    return replace(request, status=status)


@dataclass(frozen=True)
class RequestLeave:
    request_id: UUID
    employee_id: str
    first_day: date
    last_day: date
    leave_type: LeaveType
    reason: str
    requested_at: datetime


@dataclass(frozen=True)
class DecideLeave:
    request_id: UUID
    approve: bool
    decided_by: str
    decided_at: datetime
    note: str | None = None


def decide_request_leave(command: RequestLeave, request: LeaveRequest | None) -> list[DecidedEvent]:
    """Leave may be asked for past days too (sick leave is often filed afterwards); once
    approved it excuses the absence, with compensation if the day was already closed."""
    if request is not None:
        return []
    if command.last_day < command.first_day:
        raise InvalidCommand(
            f"last_day {command.last_day} is before first_day {command.first_day}",
            field="last_day",
        )
    if (command.last_day - command.first_day).days + 1 > MAX_LEAVE_DAYS:
        raise InvalidCommand(
            f"a leave request covers at most {MAX_LEAVE_DAYS} days", field="last_day"
        )
    event = LeaveRequested(
        request_id=command.request_id,
        employee_id=command.employee_id,
        first_day=command.first_day,
        last_day=command.last_day,
        leave_type=command.leave_type,
        requested_at=command.requested_at,
        reason=command.reason,
    )
    return [DecidedEvent(event, command.requested_at)]


def decide_leave(command: DecideLeave, request: LeaveRequest | None) -> list[DecidedEvent]:
    if request is None:
        raise RequestNotFound(f"no leave request {command.request_id}", field="request_id")
    if request.status != "pending":
        raise AlreadyDecided(f"leave request {command.request_id} was already {request.status}")
    common = {
        "request_id": request.request_id,
        "employee_id": request.employee_id,
        "decided_by": command.decided_by,
        "decided_at": command.decided_at,
        "note": command.note,
        "first_day": request.first_day,
        "last_day": request.last_day,
    }
    event = (
        LeaveApproved(**common, leave_type=request.leave_type)
        if command.approve
        else LeaveRejected(**common)
    )
    return [DecidedEvent(event, command.decided_at)]
