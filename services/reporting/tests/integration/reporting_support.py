"""Helpers for the reporting integration tests: tokens, roster and calendar facts, a service handle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from nats.js import JetStreamContext

from daybook_shared.contracts import Envelope, Namespace, Payload
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.runtime.auth import mint_token
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET
from daybook_shared.testing.helpers import eventually, stream_messages

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
    EmployeeHired(
        employee_id="S1",
        display_name="Supervisor North",
        team_id="north",
        role="supervisor",
        timezone="Asia/Shanghai",
        hired_on=date(2020, 1, 1),
    ),
    EmployeeHired(
        employee_id="E1",
        display_name="Seller One",
        team_id="north",
        supervisor_id="S1",
        timezone="Asia/Shanghai",
        hired_on=MONDAY,
    ),
    EmployeeHired(
        employee_id="E2",
        display_name="Seller Two",
        team_id="north",
        supervisor_id="S1",
        timezone="Asia/Shanghai",
        hired_on=MONDAY,
    ),
    EmployeeHired(
        employee_id="E3",
        display_name="Seller Three",
        team_id="north",
        supervisor_id="S1",
        timezone="America/New_York",
        hired_on=MONDAY,
    ),
    EmployeeHired(
        employee_id="S2",
        display_name="Supervisor South",
        team_id="south",
        role="supervisor",
        timezone="Asia/Shanghai",
        hired_on=date(2020, 1, 1),
    ),
    EmployeeHired(
        employee_id="E4",
        display_name="Seller Four",
        team_id="south",
        supervisor_id="S2",
        timezone="Asia/Shanghai",
        hired_on=MONDAY,
    ),
]


def token(role: str, subject: str, employee_id: str | None = None) -> dict[str, str]:
    signed = mint_token(DEVELOPMENT_JWT_SECRET, role=role, subject=subject, employee_id=employee_id)
    return {"Authorization": f"Bearer {signed}"}


def as_employee(employee_id: str) -> dict[str, str]:
    return token("employee", f"user-{employee_id}", employee_id)


def as_supervisor(employee_id: str) -> dict[str, str]:
    return token("supervisor", f"user-{employee_id}", employee_id)


HR = token("hr", "hr-officer", "H1")
SCHEDULER = token("integration", "reporting-scheduler")


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
        moment = at or self.clock.now()
        envelope = Envelope(
            event_id=uuid4(),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            stream_id=f"{context}-{uuid4()}",
            stream_version=1,
            occurred_at=moment,
            recorded_at=moment,
            producer=context,
            payload=payload.model_dump(mode="json"),
        )
        await self.js.publish(
            self.namespace.subject_for(payload),
            envelope.model_dump_json().encode(),
            stream=self.namespace.stream_name(context),
            headers={"Nats-Msg-Id": str(envelope.event_id)},
        )

    async def stored(self, event_type: str | None = None) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            """SELECT event_id, event_type, payload, occurred_at FROM reporting.events
               WHERE $1::text IS NULL OR event_type = $1 ORDER BY position""",
            event_type,
        )
        return [dict(r) for r in rows]

    async def published(self, event_type: str | None = None) -> list[Envelope]:
        """Reporting's events on JetStream, once the relay has published all that is stored."""
        stored = await self.db.fetchval("SELECT count(*) FROM reporting.events")

        async def all_published() -> list[Envelope]:
            messages = await stream_messages(self.js, self.namespace.stream_name("reporting"))
            assert len(messages) == stored, f"{len(messages)} of {stored} published"
            return [Envelope.model_validate_json(m.data) for m in messages]

        envelopes = await eventually(all_published)
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
