import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from daybook_shared.contracts import Context, Envelope
from daybook_shared.kit.relay import CommitNotifier, OutboxRelay
from daybook_shared.testing.helpers import collect_events, eventually

from .kit_support import META, SCHEMA, hired, migrated_pool, store_for


@pytest.fixture
async def pool(database_url):
    pool = await migrated_pool(database_url)
    yield pool
    await pool.close()


@pytest.fixture
async def store(pool, namespace, js):
    await js.add_stream(namespace.stream_config(Context.HR))
    return store_for(pool, namespace)


async def hire(store, *employees):
    for employee in employees:

        async def handler(uow, employee=employee):
            await uow.load(f"employee-{employee}")
            await uow.append(f"employee-{employee}", [hired(employee)])

        await store.execute(handler, meta=META)


def relay_for(store, js, database_url, **kw):
    return OutboxRelay(store, js, dsn=database_url, schema=SCHEMA, sweep_interval=0.05, **kw)


async def test_relay_publishes_in_commit_order_with_event_id_as_msg_id(store, js, database_url):
    await hire(store, "E1", "E2", "E3")
    relay = relay_for(store, js, database_url)
    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0
    assert await relay.backlog() == 0

    stored = [e.envelope for e in await store.read_all()]
    received = await collect_events(js, store.namespace, Context.HR, count=3)
    assert [e.event_id for e in received] == [e.event_id for e in stored]
    assert received == stored

    sub = await js.pull_subscribe(store.namespace.filter(Context.HR), durable=None)
    msgs = await sub.fetch(3, timeout=5)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [str(e.event_id) for e in stored]


@pytest.mark.parametrize("leader_here", [True, False], ids=["in-process", "notify"])
async def test_relay_wakes_on_commit_and_keeps_up(store, pool, js, database_url, leader_here):
    relay = relay_for(store, js, database_url)
    relay.sweep_interval = 30.0  # only the commit's wake-up can make it publish in time
    # A replica that does not lead wakes the leader through NOTIFY.
    notifier = CommitNotifier(pool, SCHEMA, relay if leader_here else None)
    store.on_committed = notifier.poke
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(notifier.run())]
    try:
        await eventually(lambda: relay.is_leader)
        await eventually(lambda: _listening(pool))
        await hire(store, "E1")
        await eventually(lambda: _stream_count(js, store.namespace), timeout=5)
        await hire(store, "E2")
        await eventually(lambda: _stream_count(js, store.namespace, 2), timeout=5)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _listening(pool):
    return await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
        "AND datname = current_database()"
    )


async def _stream_count(js, namespace, at_least=1):
    info = await js.stream_info(namespace.stream_name(Context.HR))
    return info.state.messages >= at_least


async def test_crash_between_publish_and_progress_republishes_without_duplicates(
    store, js, database_url
):
    await hire(store, "E1", "E2")
    crashed = relay_for(store, js, database_url)
    batch = await store.read_log(await crashed.position())
    assert await crashed._publish(batch) == batch[-1].at  # published, progress never recorded

    restarted = relay_for(store, js, database_url)
    assert await restarted.publish_pending() == 2  # it republishes both ...
    info = await js.stream_info(store.namespace.stream_name(Context.HR))
    assert info.state.messages == 2  # ... and JetStream drops the copies by Nats-Msg-Id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NatsProcess:
    """A private nats-server this test may stop and start again (same port, same storage)."""

    def __init__(self, store_dir: Path) -> None:
        self.port = _free_port()
        self.store_dir = store_dir
        self.proc: subprocess.Popen | None = None
        self.url = f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = Path(sys.executable).parent / "nats-server"
        self.proc = subprocess.Popen(
            [
                str(binary),
                "-js",
                "-sd",
                str(self.store_dir),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def test_commands_succeed_with_nats_down_and_relay_catches_up_once(
    pool, namespace, database_url, tmp_path
):
    server = NatsProcess(tmp_path / "js")
    server.start()
    nc = await nats.connect(
        server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.1, connect_timeout=5
    )
    try:
        js = nc.jetstream()
        await js.add_stream(namespace.stream_config(Context.HR))
        store = store_for(pool, namespace)
        relay = relay_for(store, js, database_url, ack_timeout=0.5)
        task = asyncio.create_task(relay.run())
        await hire(store, "E1")
        await eventually(lambda: _backlog_is(relay, 0))

        server.stop()
        await hire(store, "E2", "E3", "E4")  # commands succeed while NATS is away
        assert await relay.backlog() == 3

        server.start()
        await eventually(lambda: _backlog_is(relay, 0), timeout=30)
        envelopes = await collect_events(js, namespace, Context.HR, count=4)
        assert [e.payload["employee_id"] for e in envelopes] == ["E1", "E2", "E3", "E4"]
        info = await js.stream_info(namespace.stream_name(Context.HR))
        assert info.state.messages == 4
        task.cancel()
    finally:
        await nc.close()
        server.stop()


async def _backlog_is(relay, n):
    return await relay.backlog() == n


def test_envelope_round_trips_through_json():
    envelope = Envelope.model_validate(
        {
            "event_id": "0b8c3c1e-3a0b-4d0e-9d7a-2b0d1a6e7c11",
            "event_type": "EmployeeLeft",
            "schema_version": 1,
            "stream_id": "employee-E1",
            "stream_version": 2,
            "occurred_at": "2026-03-02T09:00:00+08:00",
            "recorded_at": "2026-03-02T01:00:01+00:00",
            "producer": "hr",
            "payload": {"employee_id": "E1", "left_on": "2026-03-02"},
        }
    )
    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope
