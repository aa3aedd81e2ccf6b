"""Who may read and act on whose reporting (the policy's chain of superiors, R-A2, R-B2.4).

Employees write and read their own; supervisors read and review their direct reports'; hr reads
everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from daybook_shared.errors import Forbidden

CallerRole = Literal["employee", "supervisor", "hr", "integration"]


@dataclass(frozen=True)
class Caller:
    role: CallerRole
    employee_id: str | None


@dataclass(frozen=True)
class Member:
    """The roster facts about an employee that access depends on."""

    employee_id: str
    supervisor_id: str | None


def supervises(caller: Caller, member: Member) -> bool:
    return (
        caller.role == "supervisor"
        and caller.employee_id is not None
        and member.supervisor_id == caller.employee_id
    )


def require_read(caller: Caller, member: Member) -> None:
    """Own records, a direct report's (as their supervisor), or anyone's as hr."""
    if (
        caller.role == "hr"
        or caller.employee_id == member.employee_id
        or supervises(caller, member)
    ):
        return
    raise Forbidden(
        f"{caller.employee_id or caller.role} may not read the reporting of "
        f"{member.employee_id}: only the employee, their direct supervisor and hr may",
        field="employee_id",
    )


def require_review(caller: Caller, member: Member) -> None:
    """R-A2: reports are reviewed by the direct supervisor (or hr), never by their author."""
    if caller.employee_id == member.employee_id:
        raise Forbidden("an employee cannot review their own report", field="employee_id")
    if caller.role == "hr" or supervises(caller, member):
        return
    raise Forbidden(
        f"{caller.employee_id or caller.role} is not the direct supervisor of "
        f"{member.employee_id} and may not review their reports",
        field="employee_id",
    )


def require_manage_goals(caller: Caller, member: Member) -> None:
    """R-A3: a person sets their own goals from the targets; their supervisor and hr may too."""
    if (
        caller.role == "hr"
        or caller.employee_id == member.employee_id
        or supervises(caller, member)
    ):
        return
    raise Forbidden(
        f"{caller.employee_id or caller.role} may not set goals for {member.employee_id}",
        field="employee_id",
    )


def require_set_target(caller: Caller, team_id: str | None, caller_team_id: str | None) -> None:
    """Company-wide targets are set by hr (management); a supervisor sets their own team's."""
    if caller.role == "hr":
        return
    if caller.role == "supervisor" and team_id is not None and team_id == caller_team_id:
        return
    scope = f"team {team_id}" if team_id else "the company"
    raise Forbidden(
        f"{caller.employee_id or caller.role} may not set targets for {scope}: hr sets any, "
        "a supervisor their own team's",
        field="team_id",
    )
