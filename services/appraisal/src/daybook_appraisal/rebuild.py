"""Rebuild the consumed read models from the streams, beside the live ones, then switch.

1. `begin_rebuild` creates a new generation (its own partitions of `facts`, `hr_events` and
   `roster`), marked `building`, and only then notes each stream's last sequence. From that
   moment the live consumer writes every batch into the new generation too (it writes into every
   generation not retired), so whatever is published after the noted sequences reaches it.
2. `catch_up` reads each stream from sequence 1 up to the noted sequence with an ephemeral pull
   consumer that acknowledges nothing, in large batches, and writes the facts and hr events into
   the new generation only. Writes are idempotent sets, so an event the live consumer also wrote
   there changes nothing.
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
import nats.errors
import structlog
from daybook_shared.contracts import Event, Namespace
from daybook_shared.errors import Conflict
from daybook_shared.kit.consumer import Unreadable, read_message
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from daybook_appraisal.projections import CONSUMED_CONTEXTS, write_events

log = structlog.get_logger("daybook.appraisal.rebuild")

STALE_AFTER = timedelta(minutes=5)
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
    js: JetStreamContext,
    namespace: Namespace,
    report: RebuildReport,
    *,
    batch_size: int = 2000,
) -> RebuildReport:
    """Read every stream from sequence 1 to its noted end into the new generation."""
    started = time.perf_counter()
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


async def _catch_up_stream(
    pool: asyncpg.Pool,
    js: JetStreamContext,
    namespace: Namespace,
    report: RebuildReport,
    context: str,
    target: int,
    batch_size: int,
) -> int:
    if target == 0:
        return 0
    stream = namespace.stream_name(context)
    consumer = await js.add_consumer(
        stream,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE,
            filter_subject=namespace.filter(context),
            inactive_threshold=60.0,
            max_waiting=1,
        ),
    )
    subscription = await js.pull_subscribe_bind(consumer=consumer.name, stream=stream)
    read = 0
    writing: asyncio.Task[None] | None = None
    try:
        done = False
        while not done:
            try:
                messages = await subscription.fetch(batch_size, timeout=1.0)
            except nats.errors.TimeoutError:
                pending = (await subscription.consumer_info()).num_pending or 0
                if pending == 0:
                    break
                continue
            events: list[Event] = []
            for message in messages:
                if message.metadata.sequence.stream > target:
                    done = True
                    break
                try:
                    events.append(read_message(message.data))
                except Unreadable:
                    # The live consumer parks it in dead_letters; a rebuild does not repeat it.
                    report.unreadable += 1
                if message.metadata.sequence.stream == target:
                    done = True
            read += len(events)
            if writing is not None:
                await writing
            # Writing overlaps the next fetch.
            writing = asyncio.create_task(_write(pool, report.generation, events))
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, consumer.name)
    return read


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
    js: JetStreamContext,
    namespace: Namespace,
    now: datetime,
    *,
    batch_size: int = 2000,
    switch: bool = True,
) -> RebuildReport:
    """All three steps, start to end."""
    report = await begin_rebuild(pool, js, namespace, now)
    await catch_up(pool, js, namespace, report, batch_size=batch_size)
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
