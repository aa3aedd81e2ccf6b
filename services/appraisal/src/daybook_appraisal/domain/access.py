"""Who may see and do what in the appraisal (architecture: Security).

Employees see their own scorecards and actions and appeal their own actions; supervisors see
their direct reports' as well; hr sees everything and decides; the integration role runs the
scheduled close and maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass

from daybook_shared.errors import Forbidden


@dataclass(frozen=True)
class Caller:
    role: str
    employee_id: str | None = None

    @property
    def sees_everyone(self) -> bool:
        return self.role in ("hr", "integration")


def require_read(caller: Caller, employee_id: str, supervisor_id: str | None) -> None:
    """Raise unless the caller may read this employee's appraisal."""
    if caller.sees_everyone or caller.employee_id == employee_id:
        return
    if (
        caller.role == "supervisor"
        and supervisor_id is not None
        and (supervisor_id == caller.employee_id)
    ):
        return
    raise Forbidden(
        f"{caller.employee_id or caller.role} may not read the appraisal of {employee_id}",
        field="employee_id",
    )


def require_own(caller: Caller, employee_id: str) -> None:
    """Raise unless the caller acts for this employee themself (appealing their own action)."""
    if caller.employee_id != employee_id:
        raise Forbidden(
            f"only {employee_id} may appeal their own disciplinary action", field="action_id"
        )
