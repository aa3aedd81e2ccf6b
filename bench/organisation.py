"""A simulated sales organisation: its roster, tokens, work schedules and shared clock.

Teams of ten in Shanghai: the first of each ten supervises the other nine. Everyone works
Monday to Friday, 09:00 to 18:00 local time, with five minutes' grace (R-A1). The services
under test share one simulated clock (`DAYBOOK_CLOCK_FILE`), so a clock-in at 09:30 is late on
every machine and in every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.auth import mint_token
from daybook_shared.runtime.clock import FileClock
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET

ZONE = "Asia/Shanghai"
TEAM_SIZE = 10
HIRED_ON = date(2025, 1, 1)
FIRST_MONDAY = date(2026, 3, 2)
SCHEDULE = {
    "workdays": ["mon", "tue", "wed", "thu", "fri"],
    "starts_at": "09:00",
    "ends_at": "18:00",
    "late_grace_minutes": 5,
    "early_grace_minutes": 5,
}


def employee_id(number: int) -> str:
    return f"E{number:05d}"


def supervisor_of(number: int) -> str | None:
    lead = number - number % TEAM_SIZE
    return None if lead == number else employee_id(lead)


def roster(size: int) -> list[EmployeeHired]:
    return [
        EmployeeHired(
            employee_id=employee_id(number),
            display_name=f"Seller {number}",
            team_id=f"T{number // TEAM_SIZE:04d}",
            supervisor_id=supervisor_of(number),
            role="salesperson" if supervisor_of(number) else "supervisor",
            timezone=ZONE,
            hired_on=HIRED_ON,
        )
        for number in range(size)
    ]


def bearer(role: str, subject: str, employee: str | None = None) -> dict[str, str]:
    token = mint_token(DEVELOPMENT_JWT_SECRET, role=role, subject=subject, employee_id=employee)
    return {"Authorization": f"Bearer {token}"}


HR = bearer("hr", "bench-hr")
DEVICE = bearer("integration", "bench-gates")


def as_employee(employee: str) -> dict[str, str]:
    return bearer("employee", f"user-{employee}", employee)


def workdays(first: date, count: int) -> list[date]:
    """`count` Monday-to-Friday dates from `first` on."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the organisation's zone, as a UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


class SharedClock:
    """The time every service under test reads (`DAYBOOK_CLOCK_FILE`)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = FileClock(str(path))

    def set(self, moment: datetime) -> None:
        self._clock.set(moment)


async def hire(js: JetStreamContext, namespace: Namespace, people: Sequence[EmployeeHired]) -> None:
    """Put the roster on the HR stream, as the organisation's HR system would."""
    await publish_hr_events(js, namespace, people, recorded_at=local(HIRED_ON, 8))


async def assign_schedules(
    client: httpx.AsyncClient,
    attendance_url: str,
    employees: Sequence[str],
    effective_from: date,
    *,
    concurrency: int = 16,
) -> None:
    """Everyone's work schedule, over attendance's HTTP API as hr would assign it."""
    body = {**SCHEDULE, "effective_from": effective_from.isoformat()}
    queue = iter(employees)

    async def worker() -> None:
        for employee in queue:
            response = await client.post(
                f"{attendance_url}/employees/{employee}/schedules", json=body, headers=HR
            )
            if response.status_code != 201:
                raise RuntimeError(
                    f"schedule for {employee}: {response.status_code} {response.text}"
                )

    await asyncio.gather(*(worker() for _ in range(concurrency)))
