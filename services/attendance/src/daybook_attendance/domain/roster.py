"""Who works here, for whom, in which timezone: the attendance service's copy of `hr.>`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from daybook_attendance.domain.errors import NotEmployed, NotYourEmployee, UnknownEmployee


@dataclass(frozen=True)
class RosterEntry:
    employee_id: str
    team_id: str
    supervisor_id: str | None
    role: str
    timezone: str
    hired_on: date
    left_on: date | None = None


def ensure_on_roster(entry: RosterEntry | None, employee_id: str) -> RosterEntry:
    if entry is None:
        raise UnknownEmployee(f"unknown employee {employee_id!r}", field="employee_id")
    return entry


def ensure_employed_on(entry: RosterEntry | None, employee_id: str, day: date) -> RosterEntry:
    """Attendance is kept only for days the employee is employed, hire day to leaving day."""
    entry = ensure_on_roster(entry, employee_id)
    if day < entry.hired_on:
        raise NotEmployed(
            f"employee {employee_id!r} starts on {entry.hired_on}; {day} is before that",
            field="employee_id",
        )
    if entry.left_on is not None and day > entry.left_on:
        raise NotEmployed(
            f"employee {employee_id!r} left on {entry.left_on}; {day} is after that",
            field="employee_id",
        )
    return entry


@dataclass(frozen=True)
class Actor:
    """Who is asking: a role (employee, supervisor, hr, integration) and, for people, who they
    are on the roster."""

    role: str
    employee_id: str | None = None

    @property
    def is_hr(self) -> bool:
        return self.role == "hr"


def ensure_acts_for_self(actor: Actor, employee_id: str) -> None:
    """Employees and supervisors file their own punches and requests; hr may for anyone."""
    if actor.is_hr or actor.employee_id == employee_id:
        return
    raise NotYourEmployee(f"you may act only for yourself, not for {employee_id!r}")


def ensure_may_punch_for(actor: Actor, employee_id: str) -> None:
    """Devices (integration role) post punches for anyone; people only for themselves."""
    if actor.role == "integration":
        return
    ensure_acts_for_self(actor, employee_id)


def ensure_supervises(actor: Actor, entry: RosterEntry) -> None:
    """Approvals and corrections: the employee's own supervisor, or hr (R-A1)."""
    if actor.is_hr:
        return
    if actor.role == "supervisor" and entry.supervisor_id == actor.employee_id:
        return
    raise NotYourEmployee(
        f"{actor.employee_id or actor.role!r} is not the supervisor of {entry.employee_id!r}"
    )


def ensure_may_read(actor: Actor, entry: RosterEntry) -> None:
    """Employees read their own days, supervisors their reports', hr everyone's."""
    if actor.employee_id == entry.employee_id and actor.role in ("employee", "supervisor"):
        return
    ensure_supervises(actor, entry)
