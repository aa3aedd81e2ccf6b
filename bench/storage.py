"""Scenarios 1, 2 and 4: the write path and the relay, against raw drivers and the eventsourcing
library, on the same PostgreSQL and NATS.

1. Append: single-event commands in their own transaction, sequential and 32 writers. The kit's
   rows (and the relay and consumer rows) come from `kit.measure_kit`; the library saves the same
   facts as new one-event aggregates into a fresh database of its own.
2. Append to an existing aggregate: load the stream, decide on it (the next interaction number of
   a customer), append one event, with streams of 10, 100 and 1,000 events; no snapshots or caches
   on either side.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import library_baseline
from kit import measure_kit
from measure import rate
from report import median_of, row

from daybook_shared.contracts import Event, Namespace
from daybook_shared.contracts.crm import InteractionLogged
from daybook_shared.infra import Infra, create_database, drop_database
from daybook_shared.kit.db import connect, create_pool
from daybook_shared.kit.eventstore import CommandMeta, EventStore, NewEvent, UnitOfWork
from daybook_shared.kit.migrator import migrate

SCHEMA = "bench"
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
META = CommandMeta(recorded_at=NOW, actor_id="bench")
LIBRARY = "eventsourcing 9 (psycopg)"


async def append_and_relay(infra: Infra, n: int, repeats: int = 3) -> list[dict]:
    """The kit against raw asyncpg and raw nats-py (bench/kit.py), `repeats` times with the median
    kept (the machine is shared: single runs of these short rows wander by a third), then the
    kit's median against the library."""
    kit_rows = median_of([await measure_kit(infra, n) for _ in range(repeats)])
    sequential, concurrent = kit_rows[0], kit_rows[1]
    name = f"bench_es_{secrets.token_hex(4)}"
    url = await create_database(infra.postgres_url, name)
    try:
        app = library_baseline.open_application(url)
        try:
            library_sequential = await asyncio.to_thread(
                library_baseline.appends_per_second, app, n, 1
            )
            library_concurrent = await asyncio.to_thread(
                library_baseline.appends_per_second, app, 2 * n, 32
            )
        finally:
            app.close()
    finally:
        await drop_database(infra.postgres_url, name)
    library_rows = [
        row(
            f"{sequential['scenario']} (vs library)",
            sequential["ours"],
            library_sequential,
            "events/s",
            against=LIBRARY,
            count=n,
            writers=1,
        ),
        row(
            f"{concurrent['scenario']} (vs library)",
            concurrent["ours"],
            library_concurrent,
            "events/s",
            against=LIBRARY,
            count=2 * n,
            writers=32,
        ),
    ]
    return [sequential, library_rows[0], concurrent, library_rows[1], *kit_rows[2:]]


def interaction(number: int) -> InteractionLogged:
    return InteractionLogged(
        interaction_id=f"I{number}",
        customer_id="C1",
        employee_id="E1",
        channel="call",
        duration_minutes=5,
    )


async def existing_aggregate(infra: Infra, lengths: dict[int, int]) -> list[dict]:
    """For each stream length, `lengths[length]` load-decide-append commands, one at a time."""
    name = f"bench_agg_{secrets.token_hex(4)}"
    url = await create_database(infra.postgres_url, name)
    namespace = Namespace(f"b{secrets.token_hex(4)}")
    results = []
    try:
        conn = await connect(url, SCHEMA)
        await migrate(conn, SCHEMA, ["daybook_shared.kit"])
        await conn.close()
        pool = await create_pool(url, SCHEMA, min_size=2, max_size=4)
        store = EventStore(pool, producer="bench", namespace=namespace)
        app = library_baseline.open_application(url, pool_size=4)
        try:
            for length, commands in lengths.items():
                stream = f"customer-C{length}"
                await _history(store, stream, length)
                ours = await rate(commands, lambda s=stream, c=commands: _commands(store, s, c))
                customer = await asyncio.to_thread(
                    library_baseline.customer_with_history, app, f"C{length}", length
                )
                library = await asyncio.to_thread(
                    library_baseline.commands_per_second, app, customer, commands
                )
                results.append(
                    row(
                        f"load-decide-append, {length:,}-event stream",
                        ours,
                        library,
                        "commands/s",
                        against=LIBRARY,
                        stream_length=length,
                        commands=commands,
                        snapshots=False,
                    )
                )
        finally:
            app.close()
            await pool.close()
    finally:
        await drop_database(infra.postgres_url, name)
    return results


async def _history(store: EventStore, stream: str, length: int) -> None:
    async def handler(uow: UnitOfWork) -> None:
        events = [NewEvent(interaction(n), NOW) for n in range(1, length + 1)]
        await uow.append(stream, events, expected_version=0)

    await store.execute(handler, meta=META)


def next_interaction(history: list[Event]) -> InteractionLogged:
    """The decision: the customer's next interaction, numbered after those it has."""
    return interaction(len(history) + 1)


async def _commands(store: EventStore, stream: str, count: int) -> None:
    async def handler(uow: UnitOfWork) -> None:
        history = await uow.load(stream)
        await uow.append(stream, [NewEvent(next_interaction(history), NOW)])

    for _ in range(count):
        await store.execute(handler, meta=META)
