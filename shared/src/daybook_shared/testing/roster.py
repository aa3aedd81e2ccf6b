"""A roster for tests: `EmployeeHired` facts built briefly, published, and waited for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.contracts.hr import EmployeeHired, Role
from daybook_shared.roster import publish_hr_events
from daybook_shared.testing.helpers import eventually

DEFAULT_HIRED_ON = date(2020, 1, 1)
DEFAULT_TIMEZONE = "Asia/Shanghai"


def hire(
    employee_id: str,
    display_name: str,
    team_id: str,
    *,
    supervisor_id: str | None = None,
    role: Role = "salesperson",
    timezone: str = DEFAULT_TIMEZONE,
    hired_on: date = DEFAULT_HIRED_ON,
) -> EmployeeHired:
    """An `EmployeeHired` fact; a salesperson in Shanghai hired on 1 January 2020 unless told."""
    return EmployeeHired(
        employee_id=employee_id,
        display_name=display_name,
        team_id=team_id,
        supervisor_id=supervisor_id,
        role=role,
        timezone=timezone,
        hired_on=hired_on,
    )


def two_teams(
    *,
    sellers_hired_on: date,
    supervisors_hired_on: date = DEFAULT_HIRED_ON,
    south_timezone: str = DEFAULT_TIMEZONE,
) -> list[EmployeeHired]:
    """The usual test organisation: team north, supervisor S1 with sellers E1 and E2 (in
    Shanghai); team south, supervisor S2 with seller E3 (in `south_timezone`)."""
    return [
        hire("S1", "Supervisor North", "north", role="supervisor", hired_on=supervisors_hired_on),
        hire("E1", "Seller One", "north", supervisor_id="S1", hired_on=sellers_hired_on),
        hire("E2", "Seller Two", "north", supervisor_id="S1", hired_on=sellers_hired_on),
        hire(
            "S2",
            "Supervisor South",
            "south",
            role="supervisor",
            timezone=south_timezone,
            hired_on=supervisors_hired_on,
        ),
        hire(
            "E3",
            "Seller Three",
            "south",
            supervisor_id="S2",
            timezone=south_timezone,
            hired_on=sellers_hired_on,
        ),
    ]


async def wait_for_roster(
    db: asyncpg.Connection,
    roster_table: str,
    expected: int,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 (a deadline for the whole polling)
) -> None:
    """Wait until the service's `roster_table` (schema-qualified) holds `expected` rows."""

    async def roster_known() -> None:
        count = await db.fetchval(f"SELECT count(*) FROM {roster_table}")
        assert count == expected, f"{roster_table} holds {count} of {expected} employees"

    await eventually(roster_known, timeout=timeout)


async def publish_roster_and_wait(
    js: JetStreamContext,
    namespace: Namespace,
    roster: Sequence[EmployeeHired],
    *,
    recorded_at: datetime,
    db: asyncpg.Connection,
    roster_table: str,
    timeout: float = 10.0,  # noqa: ASYNC109 (a deadline for the whole polling)
) -> None:
    """Publish `roster` on the HR stream as the importer would, then wait until the service's
    `roster_table` holds every employee of it."""
    await publish_hr_events(js, namespace, roster, recorded_at=recorded_at)
    await wait_for_roster(db, roster_table, len(roster), timeout=timeout)
