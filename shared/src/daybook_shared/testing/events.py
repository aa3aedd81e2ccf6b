"""A service's events in tests: what it stored, what its relay published, and other contexts'
events published as their producers would."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from nats.js import JetStreamContext

from daybook_shared.contracts import REGISTRY, Envelope, Namespace, Payload
from daybook_shared.testing.helpers import eventually, stream_messages


def foreign_envelope(
    payload: Payload,
    at: datetime,
    *,
    producer: str | None = None,
    event_id: UUID | None = None,
) -> Envelope:
    """`payload` as the first event of a fresh stream of its producer (by default its context),
    occurred and recorded `at`."""
    source = producer or payload.context
    return Envelope(
        event_id=event_id or uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        stream_id=f"{source}-{uuid4()}",
        stream_version=1,
        occurred_at=at,
        recorded_at=at,
        producer=source,
        payload=payload.model_dump(mode="json"),
    )


async def publish_envelope(
    js: JetStreamContext, namespace: Namespace, envelope: Envelope, *, dedupe: bool = True
) -> None:
    """Put `envelope` on its producer's stream in `namespace`; `dedupe=False` sends no
    `Nats-Msg-Id`, so the same event can reach the stream twice (a republish after the window)."""
    headers = {"Nats-Msg-Id": str(envelope.event_id)} if dedupe else None
    await js.publish(
        namespace.subject_for(REGISTRY.read(envelope).payload),
        envelope.model_dump_json().encode(),
        stream=namespace.stream_name(envelope.producer),
        headers=headers,
    )


async def stored_events(
    db: asyncpg.Connection, schema: str, event_type: str | None = None
) -> list[dict[str, Any]]:
    """The rows of `<schema>.events` (of `event_type`, if given) in append order."""
    rows = await db.fetch(
        f"""SELECT event_id, event_type, payload, occurred_at FROM {schema}.events
            WHERE $1::text IS NULL OR event_type = $1 ORDER BY position""",
        event_type,
    )
    return [dict(row) for row in rows]


async def published_events(
    js: JetStreamContext,
    namespace: Namespace,
    db: asyncpg.Connection,
    context: str,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 (a deadline for the whole polling)
) -> list[Envelope]:
    """Every event on `context`'s stream, once the relay has published all that the service
    stored in `<context>.events` so far (waits for it)."""
    stored = await db.fetchval(f"SELECT count(*) FROM {context}.events")

    async def all_published() -> list[Envelope]:
        messages = await stream_messages(js, namespace.stream_name(context))
        assert len(messages) == stored, f"{len(messages)} of {stored} published"
        return [Envelope.model_validate_json(m.data) for m in messages]

    return await eventually(all_published, timeout=timeout)
