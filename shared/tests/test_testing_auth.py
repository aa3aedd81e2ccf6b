"""The test kit's bearer headers carry development tokens the services' authenticator accepts."""

import pytest

from daybook_shared.runtime.auth import JwtAuthenticator, Principal, Role
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET
from daybook_shared.testing.auth import (
    as_employee,
    as_hr,
    as_integration,
    as_supervisor,
    bearer,
)


def _principal(headers: dict[str, str]) -> Principal:
    scheme, token = headers["Authorization"].split(" ")
    assert scheme == "Bearer"
    return JwtAuthenticator(DEVELOPMENT_JWT_SECRET).decode(token)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (bearer("hr", "someone", "H9"), Principal("someone", Role.HR, "H9")),
        (as_employee("E1"), Principal("user-E1", Role.EMPLOYEE, "E1")),
        (as_supervisor("S1"), Principal("user-S1", Role.SUPERVISOR, "S1")),
        (as_hr(), Principal("hr-officer", Role.HR, None)),
        (as_hr("hr-lead", "H1"), Principal("hr-lead", Role.HR, "H1")),
        (as_integration("gate-controller"), Principal("gate-controller", Role.INTEGRATION, None)),
    ],
)
def test_headers_name_the_role_subject_and_employee(
    headers: dict[str, str], expected: Principal
) -> None:
    assert _principal(headers) == expected
