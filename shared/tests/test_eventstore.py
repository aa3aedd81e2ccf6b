import asyncio
from uuid import uuid4

import pytest

from daybook_shared.kit.db import connect
from daybook_shared.kit.eventstore import (
    CommandMeta,
    ConcurrencyError,
    DuplicateEventError,
    IdempotencyConflictError,
    NewEvent,
    Position,
)
from daybook_shared.kit.ids import derived_id
from daybook_shared.kit.migrator import migrate
from daybook_shared.testing.helpers import eventually

from .kit_support import META, SCHEMA, T0, hired, migrated_pool, store_for


@pytest.fixture
async def pool(database_url):
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


@pytest.fixture
def store(pool, namespace):
    return store_for(pool, namespace)


async def append_one(store, stream_id, event, expected=None):
    async def handler(uow):
        await uow.load(stream_id)
        await uow.append(stream_id, [event], expected_version=expected)
        return {"ok": True}

    return await store.execute(handler, meta=META)


async def test_append_then_load_gives_typed_events_with_full_envelope(store, namespace):
    await append_one(store, "employee-E1", hired("E1"))
    [event] = await store.load("employee-E1")
    env = event.envelope
    assert (env.event_type, env.schema_version, env.stream_version) == ("EmployeeHired", 1, 1)
    assert (env.producer, env.actor_id, env.correlation_id) == ("hr", "hr-1", "corr-1")
    assert env.occurred_at == T0 and env.recorded_at == T0
    assert event.payload.employee_id == "E1"
    async with store.pool.acquire() as conn:
        subject = await conn.fetchval("SELECT subject FROM events")
    assert subject == f"{namespace.prefix}.hr.v1.employee_hired.E1"


async def test_of_two_concurrent_appends_to_one_stream_exactly_one_wins(pool, store):
    # Both writers load version 0, then race to append version 1: one commits, one conflicts.
    gate = asyncio.Barrier(2)

    async def writer(employee):
        async def handler(uow):
            await uow.load("employee-E1")
            await gate.wait()
            await uow.append("employee-E1", [hired(employee)])
            return employee

        return await store.execute(handler, meta=META, retries=0)

    results = await asyncio.gather(writer("E1"), writer("E1"), return_exceptions=True)
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 1
    assert len(losses) == 1 and isinstance(losses[0], ConcurrencyError)
    assert len(await store.load("employee-E1")) == 1


async def test_stale_or_future_expected_version_is_a_conflict(store):
    await append_one(store, "s", hired("E1"))
    with pytest.raises(ConcurrencyError):
        await append_one(store, "s", hired("E1"), expected=0)
    with pytest.raises(ConcurrencyError):
        await append_one(store, "s", hired("E1"), expected=5)
    assert len(await store.load("s")) == 1


async def test_conflicting_handler_is_retried_with_fresh_state(store):
    await append_one(store, "s", hired("E1"))
    calls = []

    async def handler(uow):
        history = await uow.load("s")
        calls.append(len(history))
        if len(calls) == 1:  # another writer slips in between our load and append
            await append_one(store, "s", hired("E2"))
        await uow.append("s", [hired("E3")])
        return len(history)

    outcome = await store.execute(handler, meta=META)
    assert calls == [1, 2]
    assert outcome.response == 2
    assert [e.payload.employee_id for e in await store.load("s")] == ["E1", "E2", "E3"]


async def test_a_derived_fact_is_stored_once(store):
    fact_id = derived_id("absence", "E1", "2026-03-02")
    event = NewEvent(hired("E1").payload, T0, event_id=fact_id)
    await append_one(store, "a", event)
    with pytest.raises(DuplicateEventError):
        await append_one(store, "b", event)
    assert await store.load("b") == []


async def test_same_idempotency_key_gives_same_answer_and_no_new_events(store):
    runs = []

    async def handler(uow):
        runs.append(1)
        await uow.load("s")
        stored = await uow.append("s", [hired("E1")])
        return {"event_id": str(stored[0].event_id)}

    first = await store.execute(handler, meta=META, idempotency_key="k1", fingerprint="f")
    second = await store.execute(handler, meta=META, idempotency_key="k1", fingerprint="f")
    assert second.replayed and not first.replayed
    assert second.response == first.response
    assert len(runs) == 1
    assert len(await store.load("s")) == 1
    with pytest.raises(IdempotencyConflictError):
        await store.execute(handler, meta=META, idempotency_key="k1", fingerprint="other")


async def test_concurrent_requests_with_one_key_run_once(store, database_url):
    async def twins_wait_on_the_key():
        monitor = await connect(database_url, SCHEMA)
        try:
            waiting = await monitor.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        finally:
            await monitor.close()
        assert waiting == 3

    async def handler(uow):
        await uow.load("s")
        # The first request holds the key until its three twins are blocked behind it.
        await eventually(twins_wait_on_the_key)
        await uow.append("s", [hired("E1")])
        return "done"

    outcomes = await asyncio.gather(
        *[store.execute(handler, meta=META, idempotency_key="k", fingerprint="f") for _ in range(4)]
    )
    assert sorted(o.replayed for o in outcomes) == [False, True, True, True]
    assert len(await store.load("s")) == 1


async def test_failed_command_does_not_keep_its_idempotency_key(store):
    async def failing(uow):
        await uow.load("s")
        await uow.append("s", [hired("E1")])
        raise ValueError("rejected")

    with pytest.raises(ValueError, match="rejected"):
        await store.execute(failing, meta=META, idempotency_key="k", fingerprint="f")

    async def ok(uow):
        await uow.load("s")
        await uow.append("s", [hired("E1")])
        return "stored"

    outcome = await store.execute(ok, meta=META, idempotency_key="k", fingerprint="f")
    assert (outcome.response, outcome.replayed) == ("stored", False)
    assert len(await store.load("s")) == 1


async def test_log_reader_never_skips_an_event_a_slower_transaction_commits_later(
    store, database_url
):
    slow = await connect(database_url, SCHEMA)
    try:
        slow_tx = slow.transaction()
        await slow_tx.start()
        # The slow writer takes its transaction id first but commits last.
        await store.append(slow, "slow", 0, [hired("E-slow")], meta=META)
        await append_one(store, "fast", hired("E-fast"))

        assert await store.read_log(Position()) == []  # the fast event waits behind the slow one

        await slow_tx.commit()
        logged = await store.read_log(Position())
        assert [e.subject.rsplit(".", 1)[1] for e in logged] == ["E-slow", "E-fast"]
        assert logged[0].at < logged[1].at
        assert await store.read_log(logged[-1].at) == []
    finally:
        await slow.close()


async def test_read_all_resumes_after_a_position(store):
    for n in range(5):
        await append_one(store, f"s{n}", hired(f"E{n}"))
    first = await store.read_log(Position(), limit=2)
    rest = await store.read_log(first[-1].at, limit=10)
    assert len(first) == 2 and len(rest) == 3
    events = await store.read_all()
    assert [e.payload.employee_id for e in events] == [f"E{n}" for n in range(5)]


async def test_migrations_apply_once_even_when_two_replicas_start_together(database_url):
    conns = [await connect(database_url, "twice") for _ in range(2)]
    try:
        results = await asyncio.gather(
            *[migrate(c, "twice", ["daybook_shared.kit"]) for c in conns]
        )
        assert sorted(len(r) for r in results) == [0, 1]
        assert await migrate(conns[0], "twice", ["daybook_shared.kit"]) == []
    finally:
        for c in conns:
            await c.close()


async def test_envelope_carries_causation(store):
    meta = CommandMeta(recorded_at=T0, actor_id="a", correlation_id="c", causation_id=str(uuid4()))

    async def handler(uow):
        await uow.load("s")
        await uow.append("s", [hired("E1")])

    await store.execute(handler, meta=meta)
    [event] = await store.load("s")
    assert event.envelope.causation_id == meta.causation_id
