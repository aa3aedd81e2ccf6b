"""The test helpers: `eventually`, `collect_events`, `stream_messages`, namespace clean-up."""

import asyncio
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.testing.helpers import (
    collect_events,
    delete_namespace_streams,
    eventually,
    stream_messages,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC).isoformat()


def _envelope(event_type: str, version: int) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "event_type": event_type,
            "schema_version": 1,
            "stream_id": "employee-E1",
            "stream_version": version,
            "occurred_at": NOW,
            "recorded_at": NOW,
            "producer": "test",
            "payload": {},
        }
    ).encode()


async def _publish(js: JetStreamContext, namespace: Namespace, *event_types: str) -> None:
    for version, event_type in enumerate(event_types, start=1):
        subject = namespace.subject("hr", event_type, "E1")
        await js.publish(subject, _envelope(event_type, version))


async def test_eventually_returns_the_value_once_the_check_passes() -> None:
    calls = []

    def check() -> int | None:
        calls.append(1)
        assert len(calls) >= 3, "not yet"
        return len(calls)

    assert await eventually(check, timeout=5, interval=0) == 3


async def test_eventually_awaits_async_checks_and_retries_falsy_values() -> None:
    answers = iter([0, [], "ready"])

    async def check() -> object:
        return next(answers)

    assert await eventually(check, timeout=5, interval=0) == "ready"


async def test_eventually_accepts_a_check_that_returns_nothing() -> None:
    assert await eventually(lambda: None, timeout=0.1) is None


async def test_eventually_raises_the_last_assertion_on_timeout() -> None:
    attempts = []

    def check() -> None:
        attempts.append(1)
        raise AssertionError(f"attempt {len(attempts)} saw nothing")

    with pytest.raises(AssertionError, match=r"attempt \d+ saw nothing") as raised:
        await eventually(check, timeout=0.1, interval=0.01)

    assert str(raised.value) == f"attempt {len(attempts)} saw nothing"
    assert len(attempts) > 1


async def test_eventually_names_a_value_that_stayed_falsy() -> None:
    def queue_length() -> int:
        return 0

    with pytest.raises(AssertionError, match=r"queue_length still returned 0 after 0.1 s"):
        await eventually(queue_length, timeout=0.1)


async def test_eventually_bounds_a_check_that_hangs() -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()

    with pytest.raises(AssertionError, match=r"hangs did not finish within 0\.1 s"):
        await eventually(hangs, timeout=0.1)


async def test_eventually_lets_other_errors_through() -> None:
    def broken() -> None:
        raise KeyError("not a failed expectation but a bug")

    with pytest.raises(KeyError):
        await eventually(broken, timeout=5)


async def test_collect_events_reads_a_context_from_the_start_in_order(
    js: JetStreamContext, namespace: Namespace
) -> None:
    await js.add_stream(namespace.stream_config("hr"))
    await _publish(js, namespace, "EmployeeHired", "EmployeeTransferred", "EmployeeLeft")

    envelopes = await collect_events(js, namespace, "hr", count=3)

    assert [e.event_type for e in envelopes] == [
        "EmployeeHired",
        "EmployeeTransferred",
        "EmployeeLeft",
    ]
    assert [e.stream_version for e in envelopes] == [1, 2, 3]


async def test_collect_events_filters_by_subject(
    js: JetStreamContext, namespace: Namespace
) -> None:
    await js.add_stream(namespace.stream_config("hr"))
    await _publish(js, namespace, "EmployeeHired", "EmployeeLeft", "EmployeeHired")

    envelopes = await collect_events(
        js, namespace, "hr", count=1, subject_filter=namespace.filter("hr", "EmployeeLeft")
    )

    assert [e.event_type for e in envelopes] == ["EmployeeLeft"]


async def test_collect_events_waits_for_a_stream_declared_later(
    js: JetStreamContext, namespace: Namespace
) -> None:
    collecting = asyncio.create_task(collect_events(js, namespace, "hr", count=1, timeout=10))

    await js.add_stream(namespace.stream_config("hr"))
    await _publish(js, namespace, "EmployeeHired")

    [envelope] = await collecting
    assert envelope.event_type == "EmployeeHired"


async def test_collect_events_says_how_many_it_saw(
    js: JetStreamContext, namespace: Namespace
) -> None:
    await js.add_stream(namespace.stream_config("hr"))
    await _publish(js, namespace, "EmployeeHired")

    with pytest.raises(
        AssertionError, match=r"expected 2 events on T\w+_HR .*saw 1: \['EmployeeHired'\]"
    ):
        await collect_events(js, namespace, "hr", count=2, timeout=0.5)


async def test_stream_messages_returns_everything_in_the_stream(
    js: JetStreamContext, namespace: Namespace
) -> None:
    await js.add_stream(namespace.stream_config("hr"))
    await _publish(js, namespace, "EmployeeHired", "EmployeeLeft")

    messages = await stream_messages(js, namespace.stream_name("hr"))

    assert [m.subject for m in messages] == [
        namespace.subject("hr", "EmployeeHired", "E1"),
        namespace.subject("hr", "EmployeeLeft", "E1"),
    ]
    again = await stream_messages(js, namespace.stream_name("hr"))
    assert [m.data for m in again] == [m.data for m in messages]


async def test_namespace_clean_up_deletes_only_that_namespace(
    infra: Infra, js: JetStreamContext
) -> None:
    doomed, kept = Namespace(prefix="tcleanup0a1"), Namespace(prefix="tcleanup0a")
    for namespace in (doomed, kept):
        for context in ("hr", "crm"):
            await js.add_stream(namespace.stream_config(context))

    deleted = await delete_namespace_streams(infra.nats_url, doomed)

    assert sorted(deleted) == ["TCLEANUP0A1_CRM", "TCLEANUP0A1_HR"]
    remaining = {info.config.name for info in await js.streams_info()}
    assert {"TCLEANUP0A_CRM", "TCLEANUP0A_HR"} <= remaining
    assert not {"TCLEANUP0A1_CRM", "TCLEANUP0A1_HR"} & remaining
    await delete_namespace_streams(infra.nats_url, kept)


async def test_namespace_clean_up_refuses_the_production_namespace(infra: Infra) -> None:
    with pytest.raises(ValueError, match="production"):
        await delete_namespace_streams(infra.nats_url, Namespace())
