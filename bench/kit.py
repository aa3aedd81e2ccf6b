"""`make bench-kit`: the kit against raw asyncpg and raw nats-py, measured in one run.

Rows (ours, baseline, ratio = ours / baseline, higher is better):
- append, sequential and with 32 concurrent writers: single-event appends through
  `EventStore.execute` (envelope, expected version, subject, insert, commit, relay wake-up) against
  raw asyncpg inserts of the same rows, one transaction each, at the same concurrency;
- relay: events published per second by `OutboxRelay.publish_pending` against raw nats-py
  `publish_async` of the same bodies with the same `Nats-Msg-Id` header;
- consumer: events per second through a durable pull consumer applying a projection with its inbox
  in one transaction per batch, against raw nats-py fetch-and-ack of the same stream.

Writes build/bench/kit.json. Sizes scale with BENCH_SCALE (default 1.0); BENCH_QUICK=1 is 0.2.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar
from uuid import uuid4

import asyncpg
import nats
from measure import concurrently, machine, rate, scale, wait_for
from report import format_table, row, write_results

from daybook_shared.contracts import Context, Event, Namespace
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.infra import Infra, create_database, drop_database, find_or_start
from daybook_shared.kit.consumer import ConsumerSettings, attach_projection
from daybook_shared.kit.db import connect, create_pool
from daybook_shared.kit.eventstore import CommandMeta, EventStore, NewEvent, Position
from daybook_shared.kit.migrator import migrate
from daybook_shared.kit.relay import OutboxRelay

OUT = Path("build/bench/kit.json")
SCHEMA = "bench"
NOW = datetime(2026, 3, 2, tzinfo=UTC)
META = CommandMeta(recorded_at=NOW, actor_id="bench")


def hired(n: int) -> EmployeeHired:
    return EmployeeHired(
        employee_id=f"E{n}",
        display_name=f"Employee {n}",
        team_id=f"T{n % 10}",
        timezone="Asia/Shanghai",
        hired_on=date(2026, 3, 1),
    )


RAW_TABLE = """
CREATE TABLE raw_events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid NOT NULL UNIQUE,
    stream_id text NOT NULL, stream_version integer NOT NULL, event_type text NOT NULL,
    schema_version integer NOT NULL, subject text NOT NULL, occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL, producer text NOT NULL, actor_id text,
    correlation_id text, causation_id text, payload jsonb NOT NULL,
    UNIQUE (stream_id, stream_version))
"""
RAW_INSERT = """
INSERT INTO raw_events (event_id, stream_id, stream_version, event_type, schema_version, subject,
    occurred_at, recorded_at, producer, actor_id, correlation_id, causation_id, payload)
VALUES ($1, $2, 1, 'EmployeeHired', 1, $3, $4, $4, 'bench', 'bench', NULL, NULL, $5)
"""


async def bench_append(
    pool: asyncpg.Pool, store: EventStore, count: int, writers: int, tag: str
) -> dict:
    async def ours(n: int) -> None:
        async def handler(uow):  # type: ignore[no-untyped-def]
            await uow.append(f"{tag}-employee-{n}", [NewEvent(hired(n), NOW)], expected_version=0)

        await store.execute(handler, meta=META)

    async def raw(n: int) -> None:
        payload = hired(n).model_dump(mode="json")
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                RAW_INSERT,
                uuid4(),
                f"{tag}-employee-{n}",
                f"hr.v1.employee_hired.E{n}",
                NOW,
                payload,
            )

    baseline = await rate(count, lambda: concurrently(count, writers, raw))
    measured = await rate(count, lambda: concurrently(count, writers, ours))
    return row(
        f"append, {writers} writer{'s' if writers > 1 else ''}",
        measured,
        baseline,
        "events/s",
        against="raw asyncpg inserts",
        count=count,
        writers=writers,
    )


async def bench_relay(store: EventStore, js, dsn: str, namespace: Namespace, count: int) -> dict:
    await js.add_stream(namespace.stream_config(Context.HR))
    batch = await store.read_log(Position(), limit=count)
    assert len(batch) == count, f"expected {count} stored events, found {len(batch)}"

    raw_ns = Namespace(namespace.prefix + "raw")
    await js.add_stream(raw_ns.stream_config(Context.HR))

    async def raw() -> None:
        futures = [
            await js.publish_async(
                item.subject.replace(namespace.prefix, raw_ns.prefix, 1),
                item.body,
                headers={"Nats-Msg-Id": str(item.event_id)},
            )
            for item in batch
        ]
        for future in futures:
            await future

    relay = OutboxRelay(store, js, dsn=dsn, schema=SCHEMA, batch_size=500)
    baseline = await rate(count, raw)
    measured = await rate(count, relay.publish_pending)
    info = await js.stream_info(namespace.stream_name(Context.HR))
    assert info.state.messages == count
    return row(
        "relay publish",
        measured,
        baseline,
        "events/s",
        against="raw nats-py publish_async",
        count=count,
        batch=500,
    )


class CountingProjection:
    """A typical order-insensitive projection: a per-employee counter, upserted in batch."""

    name = "bench_counts_v1"
    contexts: ClassVar[list[str]] = [Context.HR]

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None:
        await self.apply_batch(conn, [event])

    async def apply_batch(self, conn: asyncpg.Connection, events: list[Event]) -> None:
        await conn.execute(
            """INSERT INTO counts (employee_id, n) SELECT e, count(*) FROM unnest($1::text[]) e
               GROUP BY e ON CONFLICT (employee_id) DO UPDATE SET n = counts.n + EXCLUDED.n""",
            [e.payload.employee_id for e in events],
        )


async def bench_consumer(pool: asyncpg.Pool, js, namespace: Namespace, count: int) -> dict:
    stream = namespace.stream_name(Context.HR)
    await pool.execute("CREATE TABLE counts (employee_id text PRIMARY KEY, n bigint NOT NULL)")

    async def raw() -> None:
        sub = await js.pull_subscribe(
            namespace.filter(Context.HR), durable="raw_bench", stream=stream
        )
        seen = 0
        while seen < count:
            for msg in await sub.fetch(500, timeout=5):
                await msg.ack()
                seen += 1
        await sub.unsubscribe()

    settings = ConsumerSettings(batch_size=500, fetch_timeout=1.0)
    runner, [consumer] = attach_projection(
        None, pool, CountingProjection(), namespace=namespace, settings=settings
    )

    async def ours() -> None:
        task = asyncio.create_task(consumer.run(js))

        async def applied_all() -> bool:
            return runner.applied >= count

        try:
            await wait_for(applied_all, what=f"{count} events applied", within=120, every=0.005)
        finally:
            task.cancel()

    baseline = await rate(count, raw)
    measured = await rate(count, ours)
    assert await pool.fetchval("SELECT count(*) FROM inbox") == count
    return row(
        "consumer (projection + inbox)",
        measured,
        baseline,
        "events/s",
        against="raw nats-py fetch + ack",
        count=count,
        batch=500,
    )


async def measure_kit(infra: Infra, n: int) -> list[dict]:
    """The kit's rows on `infra`: appends of `n` (sequential) and `2n` (32 writers) events, then
    the relay and the consumer over `n` stored events. Leaves nothing behind."""
    results = []
    name = f"bench_{secrets.token_hex(4)}"
    dsn = await create_database(infra.postgres_url, name)
    namespace = Namespace(f"b{secrets.token_hex(4)}")
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    try:
        conn = await connect(dsn, SCHEMA)
        await migrate(conn, SCHEMA, ["daybook_shared.kit"])
        await conn.execute(RAW_TABLE)
        await conn.close()
        pool = await create_pool(dsn, SCHEMA, min_size=33, max_size=33)
        store = EventStore(pool, producer="bench", namespace=namespace)
        results.append(await bench_append(pool, store, n, 1, "seq"))
        await pool.execute("TRUNCATE raw_events")
        results.append(await bench_append(pool, store, n * 2, 32, "par"))
        await pool.execute("TRUNCATE events")
        # the relay reads what the sequential append wrote, afresh
        for i in range(n):

            async def handler(uow, i=i):  # type: ignore[no-untyped-def]
                await uow.load(f"r-{i}")
                await uow.append(f"r-{i}", [NewEvent(hired(i), NOW)])

            await store.execute(handler, meta=META)
        results.append(await bench_relay(store, js, dsn, namespace, n))
        results.append(await bench_consumer(pool, js, namespace, n))
        await pool.close()
    finally:
        for context in ("HR",):
            for prefix in (namespace.prefix, namespace.prefix + "raw"):
                with contextlib.suppress(Exception):
                    await js.delete_stream(f"{prefix.upper()}_{context}")
        await nc.close()
        await drop_database(infra.postgres_url, name)
    return results


async def main() -> None:
    n = max(200, int(5000 * scale()))
    with find_or_start() as infra:
        results = await measure_kit(infra, n)
        report = {
            "machine": machine(infra.how),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "results": results,
        }
    write_results(OUT, report)
    print(format_table(results))
    print(f"\nwritten: {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
