"""Helpers for the appraisal integration tests: tokens, other contexts' events, a service handle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from nats.js import JetStreamContext

from daybook_shared.contracts import Envelope, Money, Namespace, Payload, attendance, crm, reporting
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.auth import as_hr, as_integration
from daybook_shared.testing.events import (
    foreign_envelope,
    publish_envelope,
    published_events,
    stored_events,
)
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.roster import two_teams

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


NOV_1 = date(2026, 11, 1)
NOV_30 = date(2026, 11, 30)
START = shanghai(2026, 11, 2, 9)
AFTER_NOVEMBER = shanghai(2026, 12, 1, 8)

# Team north: supervisor S1 with E1 and E2. Team south: supervisor S2 with E3.
HIRED_ON = date(2025, 1, 1)
ROSTER = two_teams(sellers_hired_on=HIRED_ON)

HR = as_hr(employee_id="H1")
SCHEDULER = as_integration("appraisal-scheduler")


def late_arrival(employee_id: str, day: date, *, excused: bool = False) -> Payload:
    start = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=9)
    return attendance.LateArrivalRecorded(
        employee_id=employee_id,
        work_date=day,
        punch_id=uuid4(),
        scheduled_start=start,
        arrived_at=start + timedelta(minutes=25),
        minutes_late=25,
        grace_minutes=5,
        excused=excused,
        excused_by_request_id=uuid4() if excused else None,
    )


def sales_goal(employee_id: str, amount: str, first: date = NOV_1, last: date = NOV_30) -> Payload:
    return reporting.GoalSet(
        metric="sales_amount",
        amount=Money(amount=Decimal(amount), currency="CNY"),
        goal_id=uuid4(),
        target_id=uuid4(),
        employee_id=employee_id,
        team_id="north",
        period_start=first,
        period_end=last,
        cadence="monthly",
        revision=1,
    )


def training(employee_id: str, day: date, hours: str = "16") -> Payload:
    return reporting.TrainingCompleted(
        entry_id=uuid4(),
        employee_id=employee_id,
        kind="training",
        title="Negotiation workshop",
        hours=Decimal(hours),
        completed_on=day,
    )


def deal_won(employee_id: str, amount: str) -> Payload:
    return crm.DealWon(
        deal_id=f"D{uuid4().hex[:8]}",
        customer_id="C1",
        employee_id=employee_id,
        amount=Money(amount=Decimal(amount), currency="CNY"),
    )


def rated(employee_id: str, rating: int) -> Payload:
    return crm.SatisfactionRated(
        rating_id=f"R{uuid4().hex[:8]}", customer_id="C1", employee_id=employee_id, rating=rating
    )


def gift_accepted(employee_id: str, severity: str = "major") -> Payload:
    return crm.GiftDeclared(
        declaration_id=f"G{uuid4().hex[:8]}",
        employee_id=employee_id,
        kind="gift",
        decision="accepted",
        value=Money(amount=Decimal("800"), currency="CNY"),
        severity=severity,
    )


@dataclass
class Appraisal:
    """The running service and what a test needs around it."""

    http: httpx.AsyncClient
    clock: ManualClock
    namespace: Namespace
    js: JetStreamContext
    db: asyncpg.Connection

    async def publish(
        self,
        payload: Payload,
        *,
        at: datetime | None = None,
        event_id: UUID | None = None,
        dedupe: bool = True,
    ) -> Envelope:
        """Publish another context's event as its producer would (`dedupe=False` lets the same
        event reach the stream twice, as a republish after the dedupe window would)."""
        sent = foreign_envelope(payload, at or self.clock.now(), event_id=event_id)
        await self.send(sent, dedupe=dedupe)
        return sent

    async def send(self, sent: Envelope, *, dedupe: bool = True) -> None:
        await publish_envelope(self.js, self.namespace, sent, dedupe=dedupe)

    async def consumed(self, *event_ids: UUID) -> None:
        """Wait until the consumer has applied these events."""

        async def applied() -> None:
            count = await self.db.fetchval(
                "SELECT count(*) FROM appraisal.inbox WHERE event_id = ANY($1::uuid[])",
                list(event_ids),
            )
            assert count == len(set(event_ids)), f"{count} of {len(set(event_ids))} applied"

        await eventually(applied)

    async def open_november(self) -> dict[str, Any]:
        answer = await self.http.post(
            "/appraisal/periods",
            headers=HR,
            json={
                "period_id": "2026-11",
                "starts_on": "2026-11-01",
                "ends_on": "2026-11-30",
                "timezone": "Asia/Shanghai",
            },
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def stored(self, event_type: str | None = None) -> list[dict[str, Any]]:
        return await stored_events(self.db, "appraisal", event_type)

    async def published(self, event_type: str | None = None) -> list[Envelope]:
        """The appraisal's events on JetStream, once the relay has published all that is stored."""
        envelopes = await published_events(self.js, self.namespace, self.db, "appraisal")
        return [e for e in envelopes if event_type is None or e.event_type == event_type]

    async def scorecard(
        self, employee_id: str, headers: dict[str, str] | None = None, period_id: str = "2026-11"
    ) -> dict[str, Any]:
        answer = await self.http.get(
            f"/appraisal/periods/{period_id}/scorecards/{employee_id}",
            headers=headers or HR,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


def points(card: dict[str, Any]) -> dict[str, str]:
    return {c["component_id"]: c["points"] for c in card["components"] if not c["excluded"]}
