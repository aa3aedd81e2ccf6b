"""Helpers for the attendance integration tests: the roster, tokens, a handle on the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
from nats.js import JetStreamContext

from daybook_shared.contracts import Envelope, Namespace
from daybook_shared.contracts.hr import HrEvent
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.auth import as_employee, as_hr, as_integration
from daybook_shared.testing.events import published_events
from daybook_shared.testing.roster import two_teams

# Sunday 1 March 2026, 20:00 in Shanghai; the server runs in UTC.
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MONDAY = date(2026, 3, 2)

# North team (Shanghai, UTC+8): supervisor S1 with E1 and E2. South team (New York, with
# daylight saving from 8 March 2026): supervisor S2 with E3.
HIRED_ON = date(2025, 1, 1)
ROSTER = two_teams(
    sellers_hired_on=HIRED_ON, supervisors_hired_on=HIRED_ON, south_timezone="America/New_York"
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


HR = as_hr()
DEVICE = as_integration("gate-controller")


@dataclass
class Attendance:
    """The running service and what a test needs around it."""

    http: httpx.AsyncClient
    clock: ManualClock
    namespace: Namespace
    js: JetStreamContext
    db: asyncpg.Connection

    async def publish_hr(self, *payloads: HrEvent) -> None:
        await publish_hr_events(self.js, self.namespace, payloads, recorded_at=self.clock.now())

    async def assign_schedule(
        self, employee_id: str, *, effective_from: date = MONDAY, **hours: Any
    ) -> dict[str, Any]:
        body = {
            "workdays": ["mon", "tue", "wed", "thu", "fri"],
            "starts_at": "09:00",
            "ends_at": "18:00",
            "late_grace_minutes": 5,
            "early_grace_minutes": 5,
            "effective_from": effective_from.isoformat(),
            **hours,
        }
        response = await self.http.post(
            f"/employees/{employee_id}/schedules", json=body, headers=HR
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    async def clock_in(self, employee_id: str, at: datetime) -> httpx.Response:
        self.clock.set(at)
        return await self.http.post(
            f"/employees/{employee_id}/clock-in", headers=as_employee(employee_id)
        )

    async def clock_out(self, employee_id: str, at: datetime) -> httpx.Response:
        self.clock.set(at)
        return await self.http.post(
            f"/employees/{employee_id}/clock-out", headers=as_employee(employee_id)
        )

    async def device_punch(
        self, employee_id: str, kind: str, device_time: str, device_id: str = "GATE-1"
    ) -> httpx.Response:
        body = {
            "employee_id": employee_id,
            "kind": kind,
            "device_id": device_id,
            "device_time": device_time,
        }
        return await self.http.post("/punches", json=body, headers=DEVICE)

    async def close(self, employee_id: str, work_date: date) -> httpx.Response:
        return await self.http.post(f"/employees/{employee_id}/days/{work_date}/close", headers=HR)

    async def day(self, employee_id: str, work_date: date) -> dict[str, Any]:
        response = await self.http.get(f"/employees/{employee_id}/days/{work_date}", headers=HR)
        assert response.status_code == 200, response.text
        return response.json()

    async def stored_count(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM attendance.events")

    async def published(self, *event_types: str) -> list[Envelope]:
        """Attendance's events on JetStream (of `event_types`, if given), once the relay has
        published everything stored so far."""
        envelopes = await published_events(self.js, self.namespace, self.db, "attendance")
        return [e for e in envelopes if not event_types or e.event_type in event_types]
