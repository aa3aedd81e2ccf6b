"""The event store: append with an expected version, load a stream, read the log in commit order.

Ordering guarantee for whole-log readers (the outbox relay, rebuilds): every event row carries the
id of the transaction that wrote it (`pg_current_xact_id()`). A reader takes only rows whose
transaction id is below `pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still
running, and orders by (transaction id, position). A transaction with a lower id that commits late is
therefore never skipped: until it ends, the watermark stays below it and nothing after it is read.
Writers stay concurrent (no table lock), so commits keep PostgreSQL's group commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg

from daybook_shared.contracts import REGISTRY, Envelope, Event, EventRegistry, Namespace, Payload

T = TypeVar("T")


class ConcurrencyError(Exception):
    """Another writer appended to the stream since it was loaded (expected version is stale)."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            f"stream {stream_id!r} changed since version {expected_version}; reload and retry"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


class DuplicateEventError(ConcurrencyError):
    """An event with this id is already stored: a derived fact recorded once already."""

    def __init__(self, stream_id: str, expected_version: int, event_ids: Sequence[UUID]) -> None:
        super().__init__(stream_id, expected_version)
        self.event_ids = list(event_ids)
        self.args = (f"event already stored in stream {stream_id!r}: {self.event_ids}",)


class IdempotencyConflictError(Exception):
    """An idempotency key was reused for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different request")
        self.key = key


@dataclass(frozen=True)
class NewEvent:
    """What a decision returns: a payload, its business time, and an id when it must be deterministic."""

    payload: Payload
    occurred_at: datetime
    event_id: UUID | None = None


@dataclass(frozen=True)
class CommandMeta:
    recorded_at: datetime
    actor_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


@dataclass(frozen=True)
class CommandOutcome:
    response: Any
    replayed: bool
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True, order=True)
class Position:
    """A point in the log: (transaction id, position). Reading resumes strictly after it."""

    tx_id: int = 0
    position: int = 0


@dataclass(frozen=True)
class LoggedEvent:
    """A row of the log as a whole-log reader sees it: the wire body ready to publish."""

    at: Position
    event_id: UUID
    subject: str
    event_type: str
    body: bytes


def fingerprint(data: Any) -> str:
    """A stable digest of a request, to tell a retry from a different request under one key."""
    raw = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


_SELECT_ENVELOPE = """
    SELECT event_id, event_type, schema_version, stream_id, stream_version, occurred_at,
           recorded_at, producer, actor_id, correlation_id, causation_id, payload
    FROM events
"""

_WIRE_BODY = """
    jsonb_build_object(
        'event_id', event_id, 'event_type', event_type, 'schema_version', schema_version,
        'stream_id', stream_id, 'stream_version', stream_version, 'occurred_at', occurred_at,
        'recorded_at', recorded_at, 'producer', producer, 'actor_id', actor_id,
        'correlation_id', correlation_id, 'causation_id', causation_id, 'payload', payload
    )::text
"""

_INSERT = """
    INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, subject,
                        occurred_at, recorded_at, producer, actor_id, correlation_id,
                        causation_id, payload)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
"""


class UnitOfWork:
    """One command's transaction: load streams, append events, update the service's own tables."""

    def __init__(self, store: EventStore, conn: asyncpg.Connection, meta: CommandMeta) -> None:
        self.store = store
        self.conn = conn
        self.meta = meta
        self.appended: list[Event] = []
        self._versions: dict[str, int] = {}

    async def load(self, stream_id: str) -> list[Event]:
        events = await self.store.load(stream_id, conn=self.conn)
        self._versions[stream_id] = events[-1].envelope.stream_version if events else 0
        return events

    def version(self, stream_id: str) -> int:
        """The version seen by `load` (0 for a new stream)."""
        return self._versions[stream_id]

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None = None,
    ) -> list[Event]:
        """Append after `expected_version` (default: the version `load` saw)."""
        if expected_version is None:
            if stream_id not in self._versions:
                raise ValueError(f"load {stream_id!r} first or pass expected_version")
            expected_version = self._versions[stream_id]
            verify = False
        else:
            verify = True
        stored = await self.store.append(
            self.conn, stream_id, expected_version, events, meta=self.meta, verify_version=verify
        )
        if stored:
            self._versions[stream_id] = stored[-1].envelope.stream_version
        self.appended.extend(stored)
        return stored


class EventStore:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        producer: str,
        namespace: Namespace,
        registry: EventRegistry = REGISTRY,
        on_appended: Callable[[Sequence[Event]], None] | None = None,
        on_committed: Callable[[], None] | None = None,
    ) -> None:
        self.pool = pool
        self.producer = producer
        self.namespace = namespace
        self.registry = registry
        self._on_appended = on_appended
        self.on_committed = on_committed

    async def load(self, stream_id: str, *, conn: asyncpg.Connection | None = None) -> list[Event]:
        query = _SELECT_ENVELOPE + " WHERE stream_id = $1 ORDER BY stream_version"
        if conn is None:
            async with self.pool.acquire() as c:
                rows = await c.fetch(query, stream_id)
        else:
            rows = await conn.fetch(query, stream_id)
        return [self.registry.read(Envelope.model_validate(dict(r))) for r in rows]

    async def append(
        self,
        conn: asyncpg.Connection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        meta: CommandMeta,
        verify_version: bool = True,
    ) -> list[Event]:
        """Append inside the caller's transaction; a stale `expected_version` is a ConcurrencyError.

        Of two concurrent appends after the same version exactly one wins: both insert the same
        (stream_id, stream_version), and the unique key makes the second wait and then fail.
        `verify_version` also refuses an expected version ahead of the stream (a gap); it can be
        skipped when the caller loaded the stream in this transaction. A conflict aborts the
        transaction: `execute` retries the whole handler.
        """
        if not events:
            return []
        if not conn.is_in_transaction():
            raise RuntimeError("append must run inside a transaction")
        if verify_version and expected_version > 0:  # version 1 collides with any existing stream
            current = await conn.fetchval(
                "SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id
            )
            if (current or 0) != expected_version:
                raise ConcurrencyError(stream_id, expected_version)
        stored: list[Event] = []
        rows = []
        for offset, new in enumerate(events, start=1):
            envelope = Envelope(
                event_id=new.event_id or uuid4(),
                event_type=new.payload.event_type,
                schema_version=new.payload.schema_version,
                stream_id=stream_id,
                stream_version=expected_version + offset,
                occurred_at=new.occurred_at,
                recorded_at=meta.recorded_at,
                producer=self.producer,
                actor_id=meta.actor_id,
                correlation_id=meta.correlation_id,
                causation_id=meta.causation_id,
                payload=new.payload.model_dump(mode="json"),
            )
            rows.append(
                (
                    envelope.event_id,
                    stream_id,
                    envelope.stream_version,
                    envelope.event_type,
                    envelope.schema_version,
                    self.namespace.subject_for(new.payload),
                    envelope.occurred_at,
                    envelope.recorded_at,
                    self.producer,
                    envelope.actor_id,
                    envelope.correlation_id,
                    envelope.causation_id,
                    envelope.payload,
                )
            )
            stored.append(Event(envelope=envelope, payload=new.payload))
        try:
            if len(rows) == 1:
                await conn.execute(_INSERT, *rows[0])
            else:
                await conn.executemany(_INSERT, rows)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_event_id_key":
                raise DuplicateEventError(
                    stream_id, expected_version, [r[0] for r in rows]
                ) from None
            raise ConcurrencyError(stream_id, expected_version) from None
        return stored

    async def execute(
        self,
        handler: Callable[[UnitOfWork], Awaitable[T]],
        *,
        meta: CommandMeta,
        idempotency_key: str | None = None,
        fingerprint: str = "",
        retries: int = 6,
    ) -> CommandOutcome:
        """Run `handler` in one transaction, retrying it on a concurrency conflict.

        With an idempotency key, the first answer is stored with the events; a retry with the same
        key and fingerprint gets that answer back and appends nothing.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome = await self._execute_once(handler, meta, idempotency_key, fingerprint)
            except ConcurrencyError:
                if attempt > retries:
                    raise
                # Jittered back-off, so writers contending for one stream stop colliding.
                await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
                continue
            if outcome.events:
                if self._on_appended is not None:  # counted once committed, never rolled back
                    self._on_appended(outcome.events)
                if self.on_committed is not None:
                    self.on_committed()
            return outcome

    async def _execute_once(
        self,
        handler: Callable[[UnitOfWork], Awaitable[T]],
        meta: CommandMeta,
        key: str | None,
        fingerprint: str,
    ) -> CommandOutcome:
        async with self.pool.acquire() as conn, conn.transaction():
            if key is not None:
                claimed = await conn.fetchval(
                    "INSERT INTO idempotency_keys (key, fingerprint) VALUES ($1, $2) "
                    "ON CONFLICT (key) DO NOTHING RETURNING true",
                    key,
                    fingerprint,
                )
                if not claimed:
                    row = await conn.fetchrow(
                        "SELECT fingerprint, response FROM idempotency_keys WHERE key = $1", key
                    )
                    assert row is not None
                    if row["fingerprint"] != fingerprint:
                        raise IdempotencyConflictError(key)
                    return CommandOutcome(response=row["response"], replayed=True)
            uow = UnitOfWork(self, conn, meta)
            response = await handler(uow)
            if key is not None:
                await conn.execute(
                    "UPDATE idempotency_keys SET response = $2 WHERE key = $1", key, response
                )
            return CommandOutcome(response=response, replayed=False, events=uow.appended)

    async def read_log(
        self, after: Position, *, limit: int = 500, conn: asyncpg.Connection | None = None
    ) -> list[LoggedEvent]:
        """Events after `after` in commit order, never past a transaction that is still running."""
        query = f"""
            SELECT tx_id::text::bigint AS tx, position, event_id, subject, event_type,
                   {_WIRE_BODY} AS body
            FROM events
            WHERE (tx_id, position) > ($1::text::xid8, $2)
              AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, position
            LIMIT $3
        """
        if conn is None:
            async with self.pool.acquire() as c:
                rows = await c.fetch(query, str(after.tx_id), after.position, limit)
        else:
            rows = await conn.fetch(query, str(after.tx_id), after.position, limit)
        return [
            LoggedEvent(
                at=Position(r["tx"], r["position"]),
                event_id=r["event_id"],
                subject=r["subject"],
                event_type=r["event_type"],
                body=r["body"].encode(),
            )
            for r in rows
        ]

    async def read_all(self, after: Position = Position(), *, limit: int = 1000) -> list[Event]:
        """Typed events after `after`, in commit order (for rebuilds and audits)."""
        logged = await self.read_log(after, limit=limit)
        return [self.registry.read(Envelope.model_validate_json(item.body)) for item in logged]
