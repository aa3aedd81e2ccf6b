"""Rebuild the consumed read models from the streams, beside the live ones, then switch.

1. `begin_rebuild` creates a new generation (its own partitions of `facts`, `hr_events` and
   `roster`), marked `building`, and only then notes each stream's last sequence. From that
   moment the live consumer writes every batch into the new generation too (it writes into every
   generation not retired), so whatever is published after the noted sequences reaches it.
2. `catch_up` reads each stream from sequence 1 up to the noted sequence with an ordered push
   consumer (flow controlled, nothing acknowledged), skips by subject the events that give no
   facts, and writes the rest into the new generation only, in large batches. Writes are
   idempotent sets, so an event the live consumer also wrote there changes nothing.
3. The generation is then `ready`; `switch_to` makes it `live` and retires the old one in one
   transaction. Readers move to the new rows at once; the retired rows stay until the next
   rebuild (a way back), which drops them.

Only one rebuild runs at a time; one whose worker stopped (no progress for `STALE_AFTER`) is
abandoned and replaced by the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from daybook_shared.contracts import REGISTRY, Envelope, Event, EventRegistry, Namespace, Payload
from daybook_shared.contracts.base import snake
from daybook_shared.contracts.registry import UnknownEventError
from daybook_shared.errors import Conflict
from daybook_shared.kit.consumer import Unreadable
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from daybook_appraisal.domain.translation import COUNTED_EVENT_TYPES
from daybook_appraisal.projections import CONSUMED_CONTEXTS, write_events

log = structlog.get_logger("daybook.appraisal.rebuild")

STALE_AFTER = timedelta(minutes=5)
IDLE_CHECK_S = 2.0
PARTITIONED = ("facts", "hr_events", "roster")


@dataclass
class RebuildReport:
    generation: int
    catch_up_to: dict[str, int]
    events_read: int = 0
    unreadable: int = 0
    seconds: float = 0.0
    per_context: dict[str, int] = field(default_factory=dict)


async def _drop_generation(conn: asyncpg.Connection, generation: int) -> None:
    for table in PARTITIONED:
        await conn.execute(f"DROP TABLE IF EXISTS {table}_g{generation}")
    await conn.execute("DELETE FROM projection_generations WHERE generation = $1", generation)


async def begin_rebuild(
    pool: asyncpg.Pool, js: JetStreamContext, namespace: Namespace, now: datetime
) -> RebuildReport:
    """Create the next generation and note how far each stream's catch-up must read."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('appraisal-rebuild'))")
        running = await conn.fetchrow(
            "SELECT generation, progressed_at FROM projection_generations "
            "WHERE status IN ('building', 'ready')"
        )
        if running is not None:
            if now - running["progressed_at"] < STALE_AFTER:
                raise Conflict(
                    f"generation {running['generation']} is being rebuilt (last progress "
                    f"{running['progressed_at'].isoformat()})",
                    field="generation",
                )
            log.warning("rebuild.abandoned", generation=running["generation"])
            await _drop_generation(conn, running["generation"])
        for row in await conn.fetch(
            "SELECT generation FROM projection_generations WHERE status = 'retired'"
        ):
            await _drop_generation(conn, row["generation"])
        generation = int(
            await conn.fetchval("SELECT max(generation) + 1 FROM projection_generations")
        )
        for table in PARTITIONED:
            await conn.execute(
                f"CREATE TABLE {table}_g{generation} PARTITION OF {table} "
                f"FOR VALUES IN ({generation})"
            )
        await conn.execute(
            "INSERT INTO projection_generations (generation, status, progressed_at) "
            "VALUES ($1, 'building', $2)",
            generation,
            now,
        )
    # Noted after the generation is visible: later messages reach it through the live consumer.
    targets = {
        context: await _last_sequence(js, namespace, context) for context in CONSUMED_CONTEXTS
    }
    await pool.execute(
        "UPDATE projection_generations SET catch_up_to = $2 WHERE generation = $1",
        generation,
        targets,
    )
    log.info("rebuild.begun", generation=generation, catch_up_to=targets)
    return RebuildReport(generation, targets)


async def _last_sequence(js: JetStreamContext, namespace: Namespace, context: str) -> int:
    try:
        info = await js.stream_info(namespace.stream_name(context))
    except NotFoundError:
        return 0
    return int(info.state.last_seq or 0)


async def catch_up(
    pool: asyncpg.Pool,
    nc: NatsClient,
    namespace: Namespace,
    report: RebuildReport,
    *,
    batch_size: int = 2000,
) -> RebuildReport:
    """Read every stream from sequence 1 to its noted end into the new generation."""
    started = time.perf_counter()
    js = nc.jetstream()
    counts = await asyncio.gather(
        *(
            _catch_up_stream(pool, js, namespace, report, context, target, batch_size)
            for context, target in report.catch_up_to.items()
        )
    )
    report.per_context = dict(zip(report.catch_up_to, counts, strict=True))
    report.events_read = sum(counts)
    report.seconds = time.perf_counter() - started
    await pool.execute(
        "UPDATE projection_generations SET status = 'ready', events_read = $2, seconds = $3, "
        "progressed_at = now() WHERE generation = $1",
        report.generation,
        report.events_read,
        report.seconds,
    )
    log.info(
        "rebuild.caught_up",
        generation=report.generation,
        events=report.events_read,
        seconds=round(report.seconds, 2),
    )
    return report


def stream_sequence(message: Msg) -> int:
    """The message's stream sequence, read from its reply subject without building the whole
    metadata (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...`, or with a domain and
    an account hash after `ACK` in the newer form); anything else goes the long way."""
    tokens = (message.reply or "").split(".")
    if len(tokens) == 9:
        return int(tokens[5])
    if len(tokens) >= 12:
        return int(tokens[7])
    return int(message.metadata.sequence.stream)


async def _catch_up_stream(
    pool: asyncpg.Pool,
    js: JetStreamContext,
    namespace: Namespace,
    report: RebuildReport,
    context: str,
    target: int,
    batch_size: int,
) -> int:
    """Read one stream from its first message to `target` with an ordered push consumer (flow
    controlled by the server; no acknowledgements), keep the relevant messages, and write them
    in batches while more arrive."""
    if target == 0:
        return 0
    arrived: list[Msg] = []
    reached = asyncio.Event()
    more = asyncio.Event()

    async def deliver(message: Msg) -> None:
        if reached.is_set():
            return
        sequence = stream_sequence(message)
        if sequence <= target and relevant(message.subject):
            arrived.append(message)
            if len(arrived) >= batch_size:
                more.set()
        if sequence >= target:
            reached.set()
            more.set()

    subscription = await js.subscribe(
        namespace.filter(context),
        stream=namespace.stream_name(context),
        ordered_consumer=True,
        cb=deliver,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        pending_msgs_limit=max(100_000, 20 * batch_size),
        pending_bytes_limit=512 * 1024 * 1024,
    )
    reader = FastReader()
    read = 0
    writing: asyncio.Task[None] | None = None
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(more.wait(), timeout=IDLE_CHECK_S)
            more.clear()
            if not arrived and not reached.is_set():
                # Quiet: a stream whose noted last message was deleted ends with nothing pending.
                if (await subscription.consumer_info()).num_pending == 0:
                    break
                continue
            taken, arrived[:] = arrived[:], []
            events = []
            for message in taken:
                try:
                    events.append(reader.read(message.data))
                except Unreadable:
                    # The live consumer parks it in dead_letters; a rebuild does not repeat it.
                    report.unreadable += 1
            if writing is not None:
                await writing
            # The write overlaps the next messages' delivery and reading.
            writing = asyncio.create_task(_write(pool, report.generation, events))
            read += len(events)
            if reached.is_set() and not arrived:
                break
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
    return read


_COUNTED_TOKENS = frozenset(snake(event_type) for event_type in COUNTED_EVENT_TYPES)


def relevant(subject: str) -> bool:
    """Whether a message can change the read models, from its subject alone: every hr event,
    and the event types that give facts (`<context>.v1.<event_type>.<key>`, maybe prefixed)."""
    tokens = subject.rsplit(".", 4)
    return tokens[-4] == "hr" or tokens[-2] in _COUNTED_TOKENS


class FastReader:
    """`read_message` for a rebuild's volume: the same validation of envelope and payload, with
    the registry's lookups done once per event type rather than once per message."""

    def __init__(self, registry: EventRegistry = REGISTRY) -> None:
        self.registry = registry
        self._latest: dict[str, tuple[int, type[Payload]]] = {}

    def read(self, data: bytes) -> Event:
        try:
            envelope = Envelope.model_validate_json(data)
            latest = self._latest.get(envelope.event_type)
            if latest is None:
                version = self.registry.latest_version(envelope.event_type)
                latest = (version, self.registry.model(envelope.event_type, version))
                self._latest[envelope.event_type] = latest
            payload_data = envelope.payload
            if envelope.schema_version != latest[0]:
                _, payload_data = self.registry.upcast(
                    envelope.event_type, envelope.schema_version, payload_data
                )
            payload = latest[1].model_validate(payload_data)
        except (ValidationError, UnknownEventError, ValueError) as error:
            raise Unreadable(str(error)) from error
        return Event(envelope=envelope, payload=payload)


async def _write(pool: asyncpg.Pool, generation: int, events: list[Event]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await write_events(conn, [generation], events)
        await conn.execute(
            "UPDATE projection_generations SET progressed_at = now(), "
            "events_read = events_read + $2 WHERE generation = $1",
            generation,
            len(events),
        )


async def switch_to(pool: asyncpg.Pool, generation: int) -> None:
    """Make a ready generation live and retire the one before it, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        status = await conn.fetchval(
            "SELECT status FROM projection_generations WHERE generation = $1 FOR UPDATE",
            generation,
        )
        if status != "ready":
            raise Conflict(
                f"generation {generation} is {status or 'unknown'}, not ready", field="generation"
            )
        await conn.execute(
            "UPDATE projection_generations SET status = 'retired' WHERE status = 'live'"
        )
        await conn.execute(
            "UPDATE projection_generations SET status = 'live', switched_at = now() "
            "WHERE generation = $1",
            generation,
        )
    log.info("rebuild.switched", generation=generation)


async def rebuild(
    pool: asyncpg.Pool,
    nc: NatsClient,
    namespace: Namespace,
    now: datetime,
    *,
    batch_size: int = 2000,
    switch: bool = True,
) -> RebuildReport:
    """All three steps, start to end."""
    report = await begin_rebuild(pool, nc.jetstream(), namespace, now)
    await catch_up(pool, nc, namespace, report, batch_size=batch_size)
    if switch:
        await switch_to(pool, report.generation)
    return report


def report_json(report: RebuildReport) -> dict[str, Any]:
    return {
        "generation": report.generation,
        "catch_up_to": report.catch_up_to,
        "events_read": report.events_read,
        "unreadable": report.unreadable,
        "seconds": round(report.seconds, 3),
    }
