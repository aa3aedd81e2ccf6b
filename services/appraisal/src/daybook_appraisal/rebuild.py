"""Rebuild the consumed read models from the streams, beside the live ones, then switch.

1. `begin_rebuild` creates a new generation (its own partitions of `facts`, `hr_events` and
   `roster`), marked `building`, and only then notes each stream's last sequence. From that
   moment the live consumer writes every batch into the new generation too (it writes into every
   generation not retired), so whatever is published after the noted sequences reaches it.
2. `catch_up` reads each stream from sequence 1 up to the noted sequence by explicit pull
   requests (`StreamReader`, nothing acknowledged), skips by subject the events that give no
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
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import asyncpg
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DEFAULT_PREFIX, AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError, create_model

from daybook_appraisal.domain.translation import COUNTED_EVENT_TYPES, Recorded
from daybook_appraisal.projections import CONSUMED_CONTEXTS, copy_events, write_events
from daybook_shared.contracts import REGISTRY, Envelope, Event, EventRegistry, Namespace, Payload
from daybook_shared.contracts.base import snake
from daybook_shared.contracts.registry import UnknownEventError
from daybook_shared.errors import Conflict
from daybook_shared.kit.consumer import Unreadable

log = structlog.get_logger("daybook.appraisal.rebuild")

STALE_AFTER = timedelta(minutes=5)
PULL_TIMEOUT_S = 10.0
PULL_ATTEMPTS = 3
CONCURRENT_READERS = 4
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
    """Read every stream from sequence 1 to its noted end into the new generation.

    Each event type that gives facts is read on its own subject (the server skips the rest, and
    the projection does not depend on the order between types); hr is read whole. A few
    readers run at once."""
    started = time.perf_counter()
    readers = asyncio.Semaphore(CONCURRENT_READERS)
    work = [
        (context, subject, target)
        for context, target in report.catch_up_to.items()
        for subject in read_subjects(namespace, context)
    ]

    async def read(context: str, subject: str, target: int) -> int:
        async with readers:
            return await _catch_up_subject(
                pool, nc, namespace, report, context, subject, target, batch_size
            )

    counts = await asyncio.gather(*(read(*item) for item in work))
    for (context, _, _), count in zip(work, counts, strict=True):
        report.per_context[context] = report.per_context.get(context, 0) + count
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


class StreamReader:
    """A stream's messages in order by explicit pull requests to an ephemeral consumer that
    acknowledges nothing, delivered to a plain subscription's callback.

    Pull keeps the pace in the reader's hands (nothing arrives that was not asked for), and the
    callback avoids the per-message wait of nats-py's `fetch`. A request that goes unanswered
    (a dropped connection) is retried on a fresh consumer from the message after the last one
    read, so nothing is skipped and nothing is read twice.
    """

    def __init__(self, nc: NatsClient, stream: str, subject_filter: str, batch_size: int) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.stream = stream
        self.subject_filter = subject_filter
        self.batch_size = batch_size
        self.last = 0
        self._consumer = ""
        self._batch: list[Msg] = []
        self._ended = asyncio.Event()
        self._inbox = nc.new_inbox()
        self._subscription: Any = None

    async def __aenter__(self) -> StreamReader:
        self._subscription = await self.nc.subscribe(
            self._inbox,
            cb=self._arrived,
            pending_msgs_limit=4 * self.batch_size + 16,
            pending_bytes_limit=256 * 1024 * 1024,
        )
        await self._new_consumer()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            await self._subscription.unsubscribe()
        with contextlib.suppress(Exception):
            await self.js.delete_consumer(self.stream, self._consumer)

    async def _new_consumer(self) -> None:
        if self._consumer:
            with contextlib.suppress(Exception):
                await self.js.delete_consumer(self.stream, self._consumer)
        info = await self.js.add_consumer(
            self.stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=self.last + 1,
                ack_policy=AckPolicy.NONE,
                filter_subject=self.subject_filter,
                inactive_threshold=60.0,
            ),
        )
        self._consumer = str(info.name)

    async def _arrived(self, message: Msg) -> None:
        if message.headers and message.headers.get("Status"):
            self._ended.set()  # 404 no messages, 408, 409: this request is over
            return
        self._batch.append(message)
        if len(self._batch) >= self.batch_size:
            self._ended.set()

    async def read(self) -> list[Msg]:
        """The next messages available now, in order; empty when there are none."""
        for _ in range(PULL_ATTEMPTS):
            self._batch = []
            self._ended.clear()
            request = json.dumps({"batch": self.batch_size, "no_wait": True}).encode()
            await self.nc.publish(
                f"{DEFAULT_PREFIX}.CONSUMER.MSG.NEXT.{self.stream}.{self._consumer}",
                request,
                reply=self._inbox,
            )
            try:
                await asyncio.wait_for(self._ended.wait(), timeout=PULL_TIMEOUT_S)
            except TimeoutError:
                log.warning("rebuild.pull_unanswered", stream=self.stream, after=self.last)
                await self._new_consumer()
                continue
            if self._batch:
                self.last = stream_sequence(self._batch[-1])
            return self._batch
        raise TimeoutError(f"{self.stream}: {PULL_ATTEMPTS} pull requests went unanswered")


def read_subjects(namespace: Namespace, context: str) -> list[str]:
    """The subjects a rebuild reads in a stream: every hr event, elsewhere those that give facts."""
    if context == "hr":
        return [namespace.filter(context)]
    return [
        namespace.subject(context, event_type, "*")
        for event_type in sorted(COUNTED_EVENT_TYPES)
        if REGISTRY.model(event_type).context == context
    ]


async def _catch_up_subject(
    pool: asyncpg.Pool,
    nc: NatsClient,
    namespace: Namespace,
    report: RebuildReport,
    context: str,
    subject: str,
    target: int,
    batch_size: int,
) -> int:
    """Read one subject of a stream from its first message to `target`, and write the events in
    batches while the next ones are read."""
    if target == 0:
        return 0
    reader = FastReader()
    read = 0
    pending: list[Recorded] = []
    writing: asyncio.Task[None] | None = None
    stream = StreamReader(nc, namespace.stream_name(context), subject, batch_size)
    try:
        async with stream:
            done = False
            while not done:
                messages = await stream.read()
                if not messages:
                    break  # nothing more on this subject
                for message in messages:
                    sequence = stream_sequence(message)
                    if sequence > target:
                        done = True
                        break
                    if relevant(message.subject):
                        try:
                            pending.append(reader.read(message.data, message.subject))
                        except Unreadable:
                            # The live consumer parks it in dead_letters; a rebuild does not.
                            report.unreadable += 1
                    done = sequence >= target
                if len(pending) >= batch_size or (done and pending):
                    if writing is not None:
                        await writing
                    writing = asyncio.create_task(_write(pool, report.generation, pending))
                    read += len(pending)
                    pending = []
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
    if pending:
        await _write(pool, report.generation, pending)
        read += len(pending)
    return read


_COUNTED_TOKENS = frozenset(snake(event_type) for event_type in COUNTED_EVENT_TYPES)


def relevant(subject: str) -> bool:
    """Whether a message can change the read models, from its subject alone: every hr event,
    and the event types that give facts (`<context>.v1.<event_type>.<key>`, maybe prefixed)."""
    tokens = subject.rsplit(".", 4)
    return tokens[-4] == "hr" or tokens[-2] in _COUNTED_TOKENS


class FastReader:
    """`read_message` for a rebuild's volume, validating envelope and payload alike.

    With the message's subject, the event type is known before parsing, so the envelope and its
    payload are validated from the JSON in one pass (an envelope model typed for that event);
    an older schema version, or anything unexpected, takes the general way: envelope, upcast,
    payload, with the registry's lookups done once per event type.
    """

    def __init__(self, registry: EventRegistry = REGISTRY) -> None:
        self.registry = registry
        self._latest: dict[str, tuple[int, type[Payload]]] = {}
        self._typed: dict[str, tuple[str, int, type[Envelope]] | None] = {}

    def read(self, data: bytes, subject: str | None = None) -> Recorded:
        typed = self._typed_for(subject) if subject else None
        if typed is not None:
            event_type, version, model = typed
            with contextlib.suppress(ValidationError):
                envelope = model.model_validate_json(data)
                if envelope.event_type == event_type and envelope.schema_version == version:
                    # Typed for its event, the envelope's payload is the payload model.
                    return cast(Recorded, envelope)
        return self._read(data)

    def _typed_for(self, subject: str) -> tuple[str, int, type[Envelope]] | None:
        token = subject.rsplit(".", 2)[-2]
        if token not in self._typed:
            found = next((m for m in self.registry if snake(m.event_type) == token), None)
            if found is None:
                self._typed[token] = None
            else:
                version, payload_model = self._latest_of(found.event_type)
                model = create_model(
                    f"{found.event_type}Envelope", __base__=Envelope, payload=(payload_model, ...)
                )
                self._typed[token] = (found.event_type, version, model)
        return self._typed[token]

    def _latest_of(self, event_type: str) -> tuple[int, type[Payload]]:
        latest = self._latest.get(event_type)
        if latest is None:
            version = self.registry.latest_version(event_type)
            latest = (version, self.registry.model(event_type, version))
            self._latest[event_type] = latest
        return latest

    def _read(self, data: bytes) -> Event:
        try:
            envelope = Envelope.model_validate_json(data)
            version, model = self._latest_of(envelope.event_type)
            payload_data = envelope.payload
            if envelope.schema_version != version:
                _, payload_data = self.registry.upcast(
                    envelope.event_type, envelope.schema_version, payload_data
                )
            payload = model.model_validate(payload_data)
        except (ValidationError, UnknownEventError, ValueError) as error:
            raise Unreadable(str(error)) from error
        return Event.model_construct(envelope=envelope, payload=payload)


async def _write(pool: asyncpg.Pool, generation: int, events: list[Recorded]) -> None:
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                await copy_events(conn, generation, events)
                await _progress(conn, generation, len(events))
        except asyncpg.UniqueViolationError:
            # The live consumer, behind, wrote some of these already: the idempotent way.
            async with conn.transaction():
                await write_events(conn, [generation], events)
                await _progress(conn, generation, len(events))


async def _progress(conn: asyncpg.Connection, generation: int, events: int) -> None:
    await conn.execute(
        "UPDATE projection_generations SET progressed_at = now(), "
        "events_read = events_read + $2 WHERE generation = $1",
        generation,
        events,
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
