"""Durable JetStream pull consumers that apply events to projections exactly once in effect.

A batch is applied in one PostgreSQL transaction together with the inbox rows of its event ids,
then acknowledged; a redelivered event finds its inbox row and changes nothing. Events are applied
in stream order, so per-employee order within a batch holds. If the batch fails, its messages are
applied one by one: the good ones commit, a failing one is retried with back-off (later messages of
the same key wait with it, to keep that key's order), and after `max_deliver` failed deliveries it is
parked in `dead_letters` with its error and payload, to be replayed after a fix. A message that
cannot be read at all (malformed JSON, unknown event type) is parked at once. When PostgreSQL itself
is unreachable nothing is parked: the batch is retried later, so an outage never loses events.

Replicas may share a durable consumer; JetStream then spreads batches across them, so projections
should be written order-insensitive (sums, counts, idempotent upserts) where replicas are expected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import nats.errors
import nats.js.errors
import structlog
import structlog.contextvars
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from daybook_shared.contracts import REGISTRY, Envelope, Event, EventRegistry, Namespace
from daybook_shared.contracts.registry import UnknownEventError

log = structlog.get_logger("daybook.consumer")

# What counts as "the database is away" rather than "this event cannot be applied".
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
)


class Projection(Protocol):
    """A read model fed by events. `name` is the durable consumer name: version it.

    An optional `event_types` (a set of names) lets the kit skip other events cheaply.
    """

    name: str
    contexts: Sequence[str]

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None: ...


@dataclass(frozen=True)
class ConsumerSettings:
    batch_size: int = 100
    max_deliver: int = 5
    ack_wait: float = 30.0
    retry_delays: tuple[float, ...] = (0.5, 2.0, 5.0, 15.0, 30.0)
    # JetStream's own redelivery bound, high enough to outlast a database outage.
    server_max_deliver: int = 1000
    fetch_timeout: float = 0.5

    def delay(self, deliveries: int) -> float:
        return self.retry_delays[min(deliveries, len(self.retry_delays)) - 1]


class Unreadable(Exception):
    """A message that is not a Daybook event this reader knows."""


def read_message(data: bytes, registry: EventRegistry = REGISTRY) -> Event:
    try:
        envelope = Envelope.model_validate_json(data)
        return registry.read(envelope)
    except (ValidationError, UnknownEventError, ValueError) as exc:
        raise Unreadable(_reason(exc)) from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        ]
        return "invalid event: " + "; ".join(parts[:5])
    return f"{type(exc).__name__}: {exc}"


class ProjectionRunner:
    """Applies batches of raw JetStream messages to one projection (used by the subscriber)."""

    def __init__(
        self,
        pool: asyncpg.Pool | None,
        projection: Projection,
        *,
        settings: ConsumerSettings = ConsumerSettings(),
        registry: EventRegistry = REGISTRY,
        metrics: Any | None = None,
    ) -> None:
        self.pool = pool
        self.projection = projection
        self.settings = settings
        self.registry = registry
        self.metrics = metrics
        self.consumer = projection.name
        self.applied = 0

    @property
    def _pool(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError(f"{self.consumer}: the pool is set before consumers run")
        return self.pool

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        started = time.perf_counter()
        readable: list[tuple[Msg, Event]] = []
        unreadable: list[tuple[Msg, str]] = []
        for msg in messages:
            try:
                readable.append((msg, read_message(msg.data, self.registry)))
            except Unreadable as exc:
                unreadable.append((msg, str(exc)))
        try:
            applied = await self._apply_all(readable, unreadable)
        except INFRASTRUCTURE_ERRORS as exc:
            log.warning("consumer.database_unavailable", consumer=self.consumer, error=str(exc))
            for msg in messages:
                await msg.nak(delay=self.settings.retry_delays[-1])
            return
        except Exception as exc:
            log.info("consumer.batch_failed", consumer=self.consumer, error=repr(exc))
            await self._one_by_one(readable, unreadable)
            return
        for msg in messages:
            await msg.ack()
        self._count(applied, len(readable) - applied, time.perf_counter() - started)

    def _count(self, applied: int, skipped: int, seconds: float) -> None:
        self.applied += applied
        if self.metrics is None:
            return
        self.metrics.events_consumed.labels(consumer=self.consumer).inc(applied)
        if skipped:
            self.metrics.events_redelivered_skipped.labels(consumer=self.consumer).inc(skipped)
        self.metrics.handler_seconds.labels(consumer=self.consumer).observe(seconds)

    async def _apply_all(
        self, readable: list[tuple[Msg, Event]], unreadable: list[tuple[Msg, str]]
    ) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            for msg, reason in unreadable:
                await self._park(conn, msg, reason, None)
            return await self._apply(conn, [event for _, event in readable])

    async def _apply(self, conn: asyncpg.Connection, events: list[Event]) -> int:
        """Claim the events in the inbox, then apply only those not applied before.

        Events of a type the projection does not declare in `event_types` are acknowledged
        without an inbox row: applying nothing twice is harmless.
        """
        wanted = getattr(self.projection, "event_types", None)
        if wanted is not None:
            events = [e for e in events if e.event_type in wanted]
        if not events:
            return 0
        claimed = {
            r["event_id"]
            for r in await conn.fetch(
                "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[]) "
                "ON CONFLICT DO NOTHING RETURNING event_id",
                self.consumer,
                [e.event_id for e in events],
            )
        }
        fresh: list[Event] = []
        for event in events:
            if event.event_id in claimed:
                claimed.discard(event.event_id)  # the same event twice in a batch applies once
                fresh.append(event)
        if not fresh:
            return 0
        apply_batch = getattr(self.projection, "apply_batch", None)
        if apply_batch is not None:
            await apply_batch(conn, fresh)
        else:
            for event in fresh:
                # The producer's correlation id follows the event into this consumer's logs.
                with structlog.contextvars.bound_contextvars(
                    correlation_id=event.envelope.correlation_id, event_id=str(event.event_id)
                ):
                    await self.projection.apply(conn, event)
        return len(fresh)

    async def _one_by_one(
        self, readable: list[tuple[Msg, Event]], unreadable: list[tuple[Msg, str]]
    ) -> None:
        for msg, reason in unreadable:
            async with self._pool.acquire() as conn, conn.transaction():
                await self._park(conn, msg, reason, None)
            await msg.ack()
        held_keys: set[str] = set()
        for msg, event in readable:
            key = event.payload.partition_key()
            deliveries = msg.metadata.num_delivered or 1
            if key in held_keys:
                await msg.nak(delay=self.settings.delay(deliveries))
                continue
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    applied = await self._apply(conn, [event])
            except INFRASTRUCTURE_ERRORS:
                held_keys.add(key)
                await msg.nak(delay=self.settings.retry_delays[-1])
                continue
            except Exception as exc:
                if deliveries >= self.settings.max_deliver:
                    async with self._pool.acquire() as conn, conn.transaction():
                        await self._park(conn, msg, _reason(exc), event)
                    log.error(
                        "consumer.parked",
                        consumer=self.consumer,
                        event_id=str(event.event_id),
                        event_type=event.event_type,
                        error=repr(exc),
                        deliveries=deliveries,
                    )
                    await msg.ack()
                else:
                    held_keys.add(key)
                    log.warning(
                        "consumer.retry",
                        consumer=self.consumer,
                        event_id=str(event.event_id),
                        error=repr(exc),
                        deliveries=deliveries,
                    )
                    await msg.nak(delay=self.settings.delay(deliveries))
                continue
            await msg.ack()
            self._count(applied, 1 - applied, 0.0)

    async def _park(
        self, conn: asyncpg.Connection, msg: Msg, reason: str, event: Event | None
    ) -> None:
        meta = msg.metadata
        await conn.execute(
            """INSERT INTO dead_letters (consumer, subject, stream_seq, event_id, event_type, data,
                                         headers, error, deliveries)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (consumer, stream_seq) DO NOTHING""",
            self.consumer,
            msg.subject,
            meta.sequence.stream if meta and meta.sequence else None,
            event.event_id if event else None,
            event.event_type if event else None,
            msg.data,
            dict(msg.headers or {}),
            reason,
            meta.num_delivered if meta else 1,
        )
        if self.metrics is not None:
            self.metrics.dead_letters.labels(consumer=self.consumer).inc()


@dataclass(frozen=True)
class DeadLetter:
    id: int
    consumer: str
    subject: str
    stream_seq: int | None
    event_id: str | None
    event_type: str | None
    error: str
    deliveries: int
    parked_at: str
    replayed_at: str | None
    data: bytes


class DeadLetters:
    """List and replay parked messages (after the fix that lets them apply)."""

    def __init__(self, pool: asyncpg.Pool, registry: EventRegistry = REGISTRY) -> None:
        self.pool = pool
        self.registry = registry

    async def list(
        self, *, consumer: str | None = None, include_replayed: bool = False
    ) -> list[DeadLetter]:
        rows = await self.pool.fetch(
            """SELECT * FROM dead_letters
               WHERE ($1::text IS NULL OR consumer = $1) AND ($2 OR replayed_at IS NULL)
               ORDER BY id""",
            consumer,
            include_replayed,
        )
        return [
            DeadLetter(
                id=r["id"],
                consumer=r["consumer"],
                subject=r["subject"],
                stream_seq=r["stream_seq"],
                event_id=str(r["event_id"]) if r["event_id"] else None,
                event_type=r["event_type"],
                error=r["error"],
                deliveries=r["deliveries"],
                parked_at=r["parked_at"].isoformat(),
                replayed_at=r["replayed_at"].isoformat() if r["replayed_at"] else None,
                data=bytes(r["data"]),
            )
            for r in rows
        ]

    async def replay(self, dead_letter_id: int, projection: Projection) -> bool:
        """Apply a parked message again; True when applied (or already applied), error kept if not."""
        runner = ProjectionRunner(self.pool, projection, registry=self.registry)
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM dead_letters WHERE id = $1 AND consumer = $2",
                dead_letter_id,
                projection.name,
            )
            if row is None:
                raise LookupError(f"no dead letter {dead_letter_id} for {projection.name}")
            try:
                async with conn.transaction():
                    event = read_message(bytes(row["data"]), self.registry)
                    await runner._apply(conn, [event])
                    await conn.execute(
                        "UPDATE dead_letters SET replayed_at = now() WHERE id = $1", dead_letter_id
                    )
            except Exception as exc:
                await conn.execute(
                    "UPDATE dead_letters SET error = $2 WHERE id = $1",
                    dead_letter_id,
                    f"replay failed: {_reason(exc)}",
                )
                return False
        return True


@dataclass
class DurableConsumer:
    """One durable pull consumer on one stream, feeding a `ProjectionRunner` batch by batch.

    It pulls continuously through one long-lived reply subscription: a pull request asks for a
    batch, messages land in a local queue, and whatever has arrived is handed over as one batch.
    A message delivered for an older request is never lost, because the subscription that
    receives it lives as long as the consumer. (Both FastStream 0.7.8's batch subscriber and
    nats-py's `fetch` with a short timeout were seen to strand a message now and then until its
    ack wait ran out: a timed-out fetch abandons its request while the server still serves it.)
    FastStream still describes the consumer in the AsyncAPI document.
    """

    runner: ProjectionRunner
    stream: str
    durable: str
    filter_subject: str
    settings: ConsumerSettings

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=JsAckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self.filter_subject,
            ack_wait=self.settings.ack_wait,
            max_deliver=self.settings.server_max_deliver,
            max_ack_pending=self.settings.batch_size * 10,
            # No `backoff` on purpose: once set, the server follows it instead of the delay of a
            # NAK after the first redelivery. Back-off is `retry_delays`, sent with each NAK.
        )

    async def declare(self, js: JetStreamContext) -> None:
        try:
            await js.add_consumer(self.stream, config=self.config())
        except nats.js.errors.BadRequestError as exc:
            # An existing durable whose settings differ keeps them (version the name to change).
            log.warning("consumer.exists_with_other_config", durable=self.durable, error=str(exc))
            await js.consumer_info(self.stream, self.durable)

    async def run(self, js: JetStreamContext) -> None:
        await self.declare(js)
        nc = js._nc
        inbox = nc.new_inbox()
        queue: asyncio.Queue[Msg] = asyncio.Queue()

        async def deliver(msg: Msg) -> None:
            queue.put_nowait(msg)

        sub = await nc.subscribe(inbox, cb=deliver)
        request_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.durable}"
        size = self.settings.batch_size
        expires = self.settings.fetch_timeout
        request = json.dumps({"batch": size, "expires": int(expires * 1e9)}).encode()
        requested = 0  # messages asked for and not yet delivered or expired
        try:
            while True:
                if requested < size:
                    try:
                        await nc.publish(request_subject, request, reply=inbox)
                        requested += size
                    except nats.errors.Error as exc:
                        log.warning("consumer.pull_failed", durable=self.durable, error=repr(exc))
                        await asyncio.sleep(1.0)
                        continue
                if nc.is_closed:
                    log.info("consumer.connection_closed", durable=self.durable)
                    return
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                    # cancellation that lands as the queue yields, leaving the loop running.
                    async with asyncio.timeout(expires + 1.0):
                        first = await queue.get()
                except TimeoutError:
                    requested = 0  # the requests expired; their status messages went missing
                    continue
                arrived = [first]
                while len(arrived) < size and not queue.empty():
                    arrived.append(queue.get_nowait())
                batch = []
                for msg in arrived:
                    status = JetStreamContext.is_status_msg(msg)
                    if not status:
                        batch.append(msg)
                        requested -= 1
                    elif status in ("408", "409"):  # a request ended: expired or cut short
                        left = (msg.headers or {}).get("Nats-Pending-Messages")
                        requested = max(0, requested - int(left)) if left else 0
                    elif status == "404":
                        requested = 0
                requested = max(requested, 0)
                if batch:
                    await self.runner.handle_batch(batch)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


def attach_projection(
    broker: NatsBroker | None,
    pool: asyncpg.Pool | None,
    projection: Projection,
    *,
    namespace: Namespace,
    settings: ConsumerSettings = ConsumerSettings(),
    registry: EventRegistry = REGISTRY,
    metrics: Any | None = None,
) -> tuple[ProjectionRunner, list[DurableConsumer]]:
    """The durable pull consumers (one per context stream) that feed `projection`.

    `pool` may be set later (`runner.pool = ...`) before the consumers run. With a `broker`, each
    consumer is also declared to FastStream so that the AsyncAPI document lists it.
    """
    runner = ProjectionRunner(
        pool, projection, settings=settings, registry=registry, metrics=metrics
    )
    consumers = []
    for context in projection.contexts:
        consumer = DurableConsumer(
            runner=runner,
            stream=namespace.stream_name(context),
            durable=f"{projection.name}_{context}",
            filter_subject=namespace.filter(context),
            settings=settings,
        )
        consumers.append(consumer)
        if broker is not None:
            subscriber = broker.subscriber(
                consumer.filter_subject,
                stream=JStream(name=consumer.stream, declare=False),
                durable=consumer.durable,
                pull_sub=PullSub(batch_size=settings.batch_size, batch=True),
                ack_policy=AckPolicy.MANUAL,
                title=f"{projection.name} <- {context}",
                description=f"Projection {projection.name} consumes the {context} stream.",
            )

            @subscriber
            async def described(messages: list[Envelope]) -> None:
                """Documentation only: consumption runs in `DurableConsumer.run`."""

    return runner, consumers
