"""Who is appraised, where and under whom: the roster folded from the hr events of one employee.

The hr events arrive on their own stream, possibly out of order and beside replicas; folding the
whole set by business date (hired, effective, left) gives the same roster whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from daybook_shared.contracts import Payload
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred


@dataclass(frozen=True)
class RosterEntry:
    employee_id: str
    display_name: str
    team_id: str
    supervisor_id: str | None
    role: str
    timezone: str
    hired_on: date
    left_on: date | None = None

    def employed_during(self, starts_on: date, ends_on: date) -> bool:
        return self.hired_on <= ends_on and (self.left_on is None or self.left_on >= starts_on)


@dataclass(frozen=True)
class HrFact:
    payload: Payload
    occurred_at: datetime
    event_id: UUID

    def order(self) -> tuple[date, datetime, str]:
        payload = self.payload
        if isinstance(payload, EmployeeHired):
            effective = payload.hired_on
        elif isinstance(payload, EmployeeTransferred):
            effective = payload.effective_on
        elif isinstance(payload, EmployeeLeft):
            effective = payload.left_on
        else:
            effective = date.min
        return (effective, self.occurred_at, str(self.event_id))


def fold_roster(facts: list[HrFact]) -> RosterEntry | None:
    """The employee as of their latest hr event; None until their hiring is known."""
    entry: RosterEntry | None = None
    for fact in sorted(facts, key=HrFact.order):
        payload = fact.payload
        if isinstance(payload, EmployeeHired):
            entry = RosterEntry(
                employee_id=payload.employee_id,
                display_name=payload.display_name,
                team_id=payload.team_id,
                supervisor_id=payload.supervisor_id,
                role=payload.role,
                timezone=payload.timezone,
                hired_on=payload.hired_on,
                left_on=None,  # a re-hire ends an earlier departure; later ones fold after
            )
        elif entry is None:
            continue
        elif isinstance(payload, EmployeeTransferred):
            entry = replace(
                entry,
                team_id=payload.team_id,
                supervisor_id=payload.supervisor_id,
                role=payload.role or entry.role,
                timezone=payload.timezone or entry.timezone,
            )
        elif isinstance(payload, EmployeeLeft):
            entry = replace(entry, left_on=payload.left_on)
    return entry
