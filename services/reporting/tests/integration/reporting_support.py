"""Helpers for the reporting integration tests: tokens, roster and calendar facts, a service handle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from nats.js import JetStreamContext

from daybook_shared.contracts import Envelope, Namespace, Payload
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.auth import as_employee, as_hr, as_integration, as_supervisor
from daybook_shared.testing.events import (
    foreign_envelope,
    publish_envelope,
    published_events,
    stored_events,
)
from daybook_shared.testing.roster import hire

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# Monday 2026-03-02, 18:00 in Shanghai: the end of the first working day of the week.
START = shanghai(2026, 3, 2, 18, 0)
MONDAY = date(2026, 3, 2)

# Team north: supervisor S1 with E1 and E2 (Shanghai) and E3 (New York).
# Team south: supervisor S2 with E4.
ROSTER = [
    hire("S1", "Supervisor North", "north", role="supervisor"),
    hire("E1", "Seller One", "north", supervisor_id="S1", hired_on=MONDAY),
    hire("E2", "Seller Two", "north", supervisor_id="S1", hired_on=MONDAY),
    hire(
        "E3",
        "Seller Three",
        "north",
        supervisor_id="S1",
        timezone="America/New_York",
        hired_on=MONDAY,
    ),
    hire("S2", "Supervisor South", "south", role="supervisor"),
    hire("E4", "Seller Four", "south", supervisor_id="S2", hired_on=MONDAY),
]

HR = as_hr(employee_id="H1")
SCHEDULER = as_integration("reporting-scheduler")


def report(report_date: date, **overrides: str) -> dict[str, str]:
    body = {
        "report_date": report_date.isoformat(),
        "work": "Visited three prospects in Pudong",
        "progress": "Two demos booked for Thursday",
        "challenges": "Pricing objections from procurement",
        "solutions": "Offered the annual plan with onboarding included",
    }
    return body | overrides


@dataclass
class Reporting:
    """The running service and what a test needs around it."""

    http: httpx.AsyncClient
    clock: ManualClock
    namespace: Namespace
    js: JetStreamContext
    db: asyncpg.Connection

    async def publish(self, context: str, payload: Payload, *, at: datetime | None = None) -> None:
        """Publish a fact of another context (hr, attendance) as its producer would."""
        envelope = foreign_envelope(payload, at or self.clock.now(), producer=context)
        await publish_envelope(self.js, self.namespace, envelope)

    async def stored(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return await stored_events(self.db, "reporting", event_type)

    async def published(self, event_type: str | None = None) -> list[Envelope]:
        """Reporting's events on JetStream, once the relay has published all that is stored."""
        envelopes = await published_events(self.js, self.namespace, self.db, "reporting")
        return [e for e in envelopes if event_type is None or e.event_type == event_type]

    async def submit(
        self, employee_id: str, body: dict[str, Any], **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            "/daily-reports", json=body, headers=as_employee(employee_id) | headers
        )

    async def sweep(self) -> int:
        answer = await self.http.post("/sweeps/daily-reports", headers=SCHEDULER)
        assert answer.status_code == 200, answer.text
        recorded: int = answer.json()["recorded"]
        return recorded

    async def team(self, supervisor_id: str, day: date) -> dict[str, Any]:
        answer = await self.http.get(
            f"/team?date={day.isoformat()}", headers=as_supervisor(supervisor_id)
        )
        assert answer.status_code == 200, answer.text
        view: dict[str, Any] = answer.json()
        return view

    async def member_on(self, supervisor_id: str, employee_id: str, day: date) -> dict[str, Any]:
        view = await self.team(supervisor_id, day)
        [member] = [m for m in view["members"] if m["employee_id"] == employee_id]
        return member
