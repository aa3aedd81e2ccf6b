import asyncio
import json
from typing import ClassVar
from uuid import uuid4

import nats
import pytest
from nats.js.errors import NotFoundError

from daybook_shared.contracts import Context, Event
from daybook_shared.kit.consumer import ConsumerSettings, DeadLetters, attach_projection
from daybook_shared.kit.eventstore import Position
from daybook_shared.kit.relay import OutboxRelay
from daybook_shared.testing.helpers import eventually

from .kit_support import META, SCHEMA, hired, migrated_pool, store_for


class SeenProjection:
    """Records every applied event with the order it was applied in; can be told to fail."""

    name = "seen_v1"
    contexts: ClassVar[list[str]] = [Context.HR]

    def __init__(self) -> None:
        self.poison: set[str] = set()

    async def apply(self, conn, event: Event) -> None:
        if event.payload.employee_id in self.poison:
            raise RuntimeError(f"cannot apply {event.payload.employee_id}")
        await conn.execute(
            "INSERT INTO seen (event_id, employee_id) VALUES ($1, $2)",
            event.event_id,
            event.payload.employee_id,
        )


@pytest.fixture
async def pool(database_url):
    pool = await migrated_pool(database_url)
    await pool.execute(
        "CREATE TABLE seen (n bigserial, event_id uuid NOT NULL, employee_id text NOT NULL)"
    )
    yield pool
    await pool.close()


@pytest.fixture
async def published(pool, namespace, js, database_url):
    """Stores events and publishes them through the relay, as a producing service would."""
    await js.add_stream(namespace.stream_config(Context.HR))
    store = store_for(pool, namespace)
    relay = OutboxRelay(store, js, dsn=database_url, schema=SCHEMA)

    async def publish(*employees):
        for employee in employees:

            async def handler(uow, employee=employee):
                await uow.load(f"employee-{employee}")
                await uow.append(f"employee-{employee}", [hired(employee)])

            await store.execute(handler, meta=META)

        async def all_published():
            # An event behind the watermark (a consumer's transaction may be open) waits.
            await relay.publish_pending()
            return await relay.backlog() == 0

        await eventually(all_published)

    publish.store = store
    return publish


class Running:
    """Durable consumers run as tasks, started when the test says so."""

    def __init__(self, js, consumers):
        self.js = js
        self.consumers = consumers
        self.tasks = []

    async def start(self):
        self.tasks = [asyncio.create_task(c.run(self.js)) for c in self.consumers]

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


FAST = ConsumerSettings(
    batch_size=50, fetch_timeout=0.2, max_deliver=3, retry_delays=(0.05, 0.05, 0.05)
)


@pytest.fixture
async def consuming(pool, namespace, js):
    projection = SeenProjection()
    _, consumers = attach_projection(None, pool, projection, namespace=namespace, settings=FAST)
    running = Running(js, consumers)
    yield projection, running
    await running.stop()


async def seen(pool):
    return [r["employee_id"] for r in await pool.fetch("SELECT employee_id FROM seen ORDER BY n")]


async def test_events_are_applied_once_in_order(pool, published, consuming):
    _, running = consuming
    await published("E1", "E2", "E3")
    await running.start()
    await eventually(lambda: _count(pool, 3))
    assert await seen(pool) == ["E1", "E2", "E3"]
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'seen_v1'") == 3


async def test_a_redelivered_event_changes_nothing(pool, published, consuming, js, namespace):
    _, running = consuming
    await published("E1")
    await running.start()
    await eventually(lambda: _count(pool, 1))
    # The same event again under another message id (JetStream's dedup would drop the same id).
    [stored] = await published.store.read_all(Position())
    await js.publish(
        namespace.subject_for(stored.payload),
        stored.envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(uuid4())},
    )
    await published("E2")
    await eventually(lambda: _count(pool, 2))
    assert await seen(pool) == ["E1", "E2"]


async def test_malformed_and_unknown_messages_are_parked_and_the_rest_flow(
    pool, published, consuming, js, namespace
):
    _, running = consuming
    await running.start()
    subject = namespace.subject("hr", "EmployeeHired", "E9")
    await js.publish(subject, b"{not json")
    unknown = json.loads((await _one_envelope(published)).model_dump_json())
    unknown["event_type"] = "EmployeeTeleported"
    await js.publish(subject, json.dumps(unknown).encode())
    await published("E2")
    await eventually(lambda: _dead(pool, 2))
    await eventually(lambda: _count(pool, 2))  # E1 from _one_envelope, then E2
    letters = await DeadLetters(pool).list()
    assert "invalid event" in letters[0].error
    assert "EmployeeTeleported" in letters[1].error
    assert letters[0].data == b"{not json"


async def _one_envelope(published):
    await published("E1")
    [event] = await published.store.read_all(Position())
    return event.envelope


async def test_a_poison_event_is_parked_after_max_deliver_and_replayed_after_a_fix(
    pool, published, consuming
):
    projection, running = consuming
    projection.poison = {"E2"}
    await published("E1", "E2", "E3")
    await running.start()
    await eventually(lambda: _dead(pool, 1), timeout=15)
    await eventually(lambda: _count(pool, 2))
    assert sorted(await seen(pool)) == ["E1", "E3"]
    [letter] = await DeadLetters(pool).list(consumer="seen_v1")
    assert letter.deliveries == 3
    assert letter.event_type == "EmployeeHired"
    assert "cannot apply E2" in letter.error

    assert await DeadLetters(pool).replay(letter.id, projection) is False  # not fixed yet
    projection.poison = set()
    assert await DeadLetters(pool).replay(letter.id, projection) is True
    assert sorted(await seen(pool)) == ["E1", "E2", "E3"]
    assert await DeadLetters(pool).list() == []
    assert await DeadLetters(pool).replay(letter.id, projection) is True  # inbox: still once
    assert sorted(await seen(pool)) == ["E1", "E2", "E3"]


async def test_a_failing_event_holds_back_later_events_of_its_key_only(pool, published, consuming):
    projection, running = consuming
    projection.poison = {"E2"}
    await published("E1", "E2", "E3")
    await running.start()
    await eventually(lambda: _count(pool, 2))
    projection.poison = set()  # the fault clears before max_deliver: nothing is parked
    await eventually(lambda: _count(pool, 3))
    assert await seen(pool) == ["E1", "E3", "E2"]
    assert await DeadLetters(pool).list() == []


async def _count(pool, n):
    return await pool.fetchval("SELECT count(*) FROM seen") == n


async def _dead(pool, n):
    return await pool.fetchval("SELECT count(*) FROM dead_letters") == n


async def test_replicas_sharing_a_durable_consumer_apply_each_event_once(
    pool, published, namespace, infra
):
    replicas = []
    for _ in range(2):
        nc = await nats.connect(infra.nats_url)
        _, consumers = attach_projection(
            None,
            pool,
            SeenProjection(),
            namespace=namespace,
            settings=ConsumerSettings(batch_size=5, fetch_timeout=0.2),
        )
        replicas.append((nc, Running(nc.jetstream(), consumers)))
    brokers = [running for _, running in replicas]
    try:
        await published(*[f"E{n}" for n in range(40)])
        await asyncio.gather(*[b.start() for b in brokers])
        await eventually(lambda: _count(pool, 40), timeout=20)
        assert sorted(await seen(pool)) == sorted(f"E{n}" for n in range(40))
    finally:
        for nc, running in replicas:
            await running.stop()
            await nc.close()


async def test_events_outside_event_types_are_acknowledged_without_inbox_rows(
    pool, published, js, namespace
):
    class OnlyLeavers(SeenProjection):
        event_types: ClassVar[set[str]] = {"EmployeeLeft"}

    _, consumers = attach_projection(None, pool, OnlyLeavers(), namespace=namespace, settings=FAST)
    running = Running(js, consumers)
    await published("E1", "E2")
    await running.start()
    try:
        await eventually(lambda: _pending_is_zero(js, namespace))
        assert await pool.fetchval("SELECT count(*) FROM inbox") == 0
        assert await seen(pool) == []
    finally:
        await running.stop()


async def _pending_is_zero(js, namespace):
    try:
        info = await js.consumer_info(namespace.stream_name(Context.HR), "seen_v1_hr")
    except NotFoundError:  # the consumer task has not declared it yet
        return False
    return info.num_pending == 0 and info.num_ack_pending == 0
