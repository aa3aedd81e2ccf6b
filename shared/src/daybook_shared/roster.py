"""Publishing HR facts onto the HR stream, for the bundled roster importer and for tests.

The organisation's HR system may publish `hr.>` itself; the importer stands in for it. Event ids
are derived from the fact (employee, event type, effective date), so importing the same roster
twice publishes nothing new: JetStream drops the copy by `Nats-Msg-Id` and consumers' inboxes
would drop it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from daybook_shared.contracts import Envelope, Namespace
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred, HrEvent
from daybook_shared.kit.ids import derived_id

PRODUCER = "hr-import"


def _effective(payload: HrEvent) -> datetime:
    if isinstance(payload, EmployeeHired):
        day = payload.hired_on
    elif isinstance(payload, EmployeeTransferred):
        day = payload.effective_on
    elif isinstance(payload, EmployeeLeft):
        day = payload.left_on
    else:
        raise TypeError(f"not an HR event: {type(payload).__name__}")
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def envelope_for(
    payload: HrEvent, *, version: int, recorded_at: datetime, actor_id: str = PRODUCER
) -> Envelope:
    occurred_at = _effective(payload)
    return Envelope(
        event_id=derived_id("hr", payload.event_type, payload.partition_key(), occurred_at.date()),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        stream_id=f"employee-{payload.partition_key()}",
        stream_version=version,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        producer=PRODUCER,
        actor_id=actor_id,
        correlation_id=None,
        causation_id=None,
        payload=payload.model_dump(mode="json"),
    )


async def ensure_hr_stream(js: JetStreamContext, namespace: Namespace) -> None:
    config = namespace.stream_config("hr")
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)


async def publish_hr_events(
    js: JetStreamContext,
    namespace: Namespace,
    payloads: Sequence[HrEvent],
    *,
    recorded_at: datetime,
) -> int:
    """Publish in order; returns how many JetStream stored (duplicates of earlier imports are not)."""
    await ensure_hr_stream(js, namespace)
    versions: dict[str, int] = {}
    stored = 0
    for payload in payloads:
        versions[payload.partition_key()] = versions.get(payload.partition_key(), 0) + 1
        envelope = envelope_for(
            payload, version=versions[payload.partition_key()], recorded_at=recorded_at
        )
        ack = await js.publish(
            namespace.subject_for(payload),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.event_id)},
        )
        if not ack.duplicate:
            stored += 1
    return stored
