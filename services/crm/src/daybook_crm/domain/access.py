"""Who may see and act on whose customer work (R-B3.4: protect customer information).

Employees: their own. Supervisors: themselves and their team (their direct reports and the
members of the team they belong to). hr: everyone. The integration role acts only through the
webhook, imports and sweeps, never on a person's records.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    role: str
    employee_id: str | None


@dataclass(frozen=True)
class RosterEntry:
    employee_id: str
    team_id: str
    supervisor_id: str | None
    role: str
    timezone: str
    active: bool = True


def may_act_for(
    viewer: Viewer, employee_id: str, employee: RosterEntry | None, own: RosterEntry | None
) -> bool:
    """Whether `viewer` may see or act on what belongs to `employee_id`.

    `employee` is that employee's roster entry and `own` the viewer's, when the roster has them.
    """
    if viewer.role == "hr":
        return True
    if viewer.employee_id is None:
        return False
    if viewer.employee_id == employee_id:
        return viewer.role in {"employee", "supervisor"}
    if viewer.role != "supervisor" or employee is None:
        return False
    if employee.supervisor_id == viewer.employee_id:
        return True
    return own is not None and own.team_id == employee.team_id
