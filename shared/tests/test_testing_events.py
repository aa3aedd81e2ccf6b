"""The test kit's event helpers: foreign envelopes, stored rows, what the relay published."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import asyncpg
import pytest
from nats.js import JetStreamContext

from daybook_shared.contracts import Money, Namespace, crm
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.testing.events import (
    foreign_envelope,
    publish_envelope,
    published_events,
    stored_events,
)
from daybook_shared.testing.helpers import stream_messages

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DEAL = crm.DealWon(
    deal_id="D1",
    customer_id="C1",
    employee_id="E1",
    amount=Money(amount=Decimal("100"), currency="CNY"),
)
HIRED = EmployeeHired(
    employee_id="E1",
    display_name="Seller One",
    team_id="north",
    timezone="Asia/Shanghai",
    hired_on=date(2020, 1, 1),
)


def test_foreign_envelope_opens_a_stream_of_the_payloads_context_unless_told() -> None:
    event_id = uuid4()
    envelope = foreign_envelope(DEAL, AT, event_id=event_id)
    assert (envelope.event_id, envelope.producer, envelope.stream_version) == (event_id, "crm", 1)
    assert envelope.stream_id.startswith("crm-")
    assert (envelope.occurred_at, envelope.recorded_at) == (AT, AT)
    assert envelope.payload == DEAL.model_dump(mode="json")
    assert foreign_envelope(DEAL, AT, producer="crm-sync").producer == "crm-sync"


async def test_publish_envelope_dedupes_by_event_id_unless_told(
    js: JetStreamContext, namespace: Namespace
) -> None:
    await js.add_stream(namespace.stream_config("hr"))
    envelope = foreign_envelope(HIRED, AT)

    await publish_envelope(js, namespace, envelope)
    await publish_envelope(js, namespace, envelope)
    assert len(await stream_messages(js, namespace.stream_name("hr"))) == 1

    await publish_envelope(js, namespace, envelope, dedupe=False)
    messages = await stream_messages(js, namespace.stream_name("hr"))
    assert [m.subject for m in messages] == [namespace.subject_for(HIRED)] * 2


async def test_stored_and_published_events_read_the_service_table_and_its_stream(
    js: JetStreamContext, namespace: Namespace, database_url: str
) -> None:
    await js.add_stream(namespace.stream_config("hr"))
    sent = foreign_envelope(HIRED, AT)
    db = await asyncpg.connect(database_url)
    try:
        await db.execute(
            """CREATE SCHEMA hr;
               CREATE TABLE hr.events (position bigserial, event_id uuid, event_type text,
                                       payload jsonb, occurred_at timestamptz)"""
        )
        await db.execute(
            "INSERT INTO hr.events (event_id, event_type, payload, occurred_at) "
            "VALUES ($1, 'EmployeeHired', $2, $3), ($4, 'EmployeeLeft', '{}', $3)",
            sent.event_id,
            json.dumps(sent.payload),
            AT,
            uuid4(),
        )
        hired = await stored_events(db, "hr", "EmployeeHired")
        assert [(r["event_id"], r["occurred_at"]) for r in hired] == [(sent.event_id, AT)]
        assert len(await stored_events(db, "hr")) == 2

        await db.execute("DELETE FROM hr.events WHERE event_type = 'EmployeeLeft'")
        await publish_envelope(js, namespace, sent)
        assert await published_events(js, namespace, db, "hr") == [sent]

        await db.execute("INSERT INTO hr.events (event_type) VALUES ('EmployeeLeft')")
        with pytest.raises(AssertionError, match="1 of 2 published"):
            await published_events(js, namespace, db, "hr", timeout=0.2)
    finally:
        await db.close()
