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
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.auth import as_employee, as_hr, as_integration
from daybook_shared.testing.events import published_events, stored_events
from daybook_shared.testing.roster import two_teams

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday, mid-morning in Shanghai.
START = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)

# North team: supervisor S1 with salespeople E1 and E2. South team: S2 with E3.
HIRED_ON = date(2021, 1, 1)
ROSTER = two_teams(sellers_hired_on=HIRED_ON)

HR = as_hr()
INTEGRATION = as_integration("crm-sync")


@dataclass
class Crm:
    """The running service and what a test needs around it."""

    http: httpx.AsyncClient
    clock: ManualClock
    namespace: Namespace
    js: JetStreamContext
    db: asyncpg.Connection

    async def stored_events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return await stored_events(self.db, "crm", event_type)

    async def published(self) -> list[Envelope]:
        """Every crm event on JetStream, once the relay has published all that is stored."""
        return await published_events(self.js, self.namespace, self.db, "crm")

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
