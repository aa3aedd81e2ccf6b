"""Helpers for the crm integration tests: tokens, the roster, and a handle on the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from nats.js import JetStreamContext

from daybook_shared.contracts import Envelope, Namespace
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.runtime.auth import mint_token
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET
from daybook_shared.testing.helpers import eventually, stream_messages

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday, mid-morning in Shanghai.
START = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)

# North team: supervisor S1 with salespeople E1 and E2. South team: S2 with E3.
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
        hired_on=date(2021, 1, 1),
    ),
    EmployeeHired(
        employee_id="E2",
        display_name="Seller Two",
        team_id="north",
        supervisor_id="S1",
        timezone="Asia/Shanghai",
        hired_on=date(2021, 1, 1),
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
        employee_id="E3",
        display_name="Seller Three",
        team_id="south",
        supervisor_id="S2",
        timezone="Asia/Shanghai",
        hired_on=date(2021, 1, 1),
    ),
]


def token(role: str, subject: str, employee_id: str | None = None) -> dict[str, str]:
    signed = mint_token(DEVELOPMENT_JWT_SECRET, role=role, subject=subject, employee_id=employee_id)
    return {"Authorization": f"Bearer {signed}"}


def as_employee(employee_id: str) -> dict[str, str]:
    return token("employee", f"user-{employee_id}", employee_id)


def as_supervisor(employee_id: str) -> dict[str, str]:
    return token("supervisor", f"user-{employee_id}", employee_id)


HR = token("hr", "hr-officer")
INTEGRATION = token("integration", "crm-sync")


@dataclass
class Crm:
    """The running service and what a test needs around it."""

    http: httpx.AsyncClient
    clock: ManualClock
    namespace: Namespace
    js: JetStreamContext
    db: asyncpg.Connection

    async def stored_events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            """SELECT event_type, payload, occurred_at FROM crm.events
               WHERE $1::text IS NULL OR event_type = $1 ORDER BY position""",
            event_type,
        )
        return [dict(r) for r in rows]

    async def published(self) -> list[Envelope]:
        """Every crm event on JetStream, once the relay has published all that is stored."""
        stored = await self.db.fetchval("SELECT count(*) FROM crm.events")

        async def all_published() -> list[Envelope]:
            messages = await stream_messages(self.js, self.namespace.stream_name("crm"))
            assert len(messages) == stored, f"{len(messages)} of {stored} published"
            return [Envelope.model_validate_json(m.data) for m in messages]

        return await eventually(all_published)

    async def published_of(self, event_type: str) -> list[Envelope]:
        return [e for e in await self.published() if e.event_type == event_type]

    async def register(self, owner: str, *, name: str = "Acme Trading", **profile: str) -> str:
        answer = await self.http.post(
            "/customers",
            json={"owner_employee_id": owner, "name": name, **profile},
            headers=as_employee(owner),
        )
        assert answer.status_code == 201, answer.text
        customer_id: str = answer.json()["customer_id"]
        return customer_id


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)
