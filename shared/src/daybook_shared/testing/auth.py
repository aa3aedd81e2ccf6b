"""Bearer headers for tests: development tokens signed with the development secret.

Every service accepts these when it runs with the default (development) JWT settings, so a test
calls the API as an employee, a supervisor, HR or an integration account.
"""

from __future__ import annotations

from daybook_shared.runtime.auth import mint_token
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET

Headers = dict[str, str]


def bearer(role: str, subject: str, employee_id: str | None = None) -> Headers:
    """An `Authorization` header carrying a development token for `role` and `subject`."""
    signed = mint_token(DEVELOPMENT_JWT_SECRET, role=role, subject=subject, employee_id=employee_id)
    return {"Authorization": f"Bearer {signed}"}


def as_employee(employee_id: str) -> Headers:
    """The employee `employee_id`, signed in as the user `user-<employee_id>`."""
    return bearer("employee", f"user-{employee_id}", employee_id)


def as_supervisor(employee_id: str) -> Headers:
    """The supervisor `employee_id`, signed in as the user `user-<employee_id>`."""
    return bearer("supervisor", f"user-{employee_id}", employee_id)


def as_hr(subject: str = "hr-officer", employee_id: str | None = None) -> Headers:
    """An HR officer (an HR token needs no employee id)."""
    return bearer("hr", subject, employee_id)


def as_integration(subject: str) -> Headers:
    """A service account such as a gate controller, a CRM sync or a scheduler."""
    return bearer("integration", subject)
