"""deploy/nats in a real nats-server: each user publishes only its own context and consumes only
what its service reads.

Every test runs twice: with deploy/nats/accounts.conf (what docker compose loads) and with the
accounts of deploy/k8s/nats-values.yaml rendered as the Helm chart renders them. The server is
the `nats-server` binary beside this Python, on a free port, its store in the test's folder.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from datetime import UTC, date, datetime

import nats
import nats.errors
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from daybook_shared.contracts import Namespace
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.infra.embedded import nats_server_binary
from daybook_shared.roster import publish_hr_events

USERS = ("hr-import", "attendance", "reporting", "crm", "appraisal")
CONTEXTS = ("hr", "attendance", "reporting", "crm", "appraisal")
PRODUCTION = Namespace()  # the shipped permissions are for the empty (production) prefix
ANSWER_S = 5.0


def _stream(context: str) -> str:
    return PRODUCTION.stream_name(context)


def _subject(context: str) -> str:
    """An event subject of the context, like `attendance.v1.clocked_in.E1`."""
    return f"{context}.v1.something_happened.E1"


@pytest.fixture(params=["compose", "helm"])
def nats_variant(request: pytest.FixtureRequest) -> str:
    """Every test here runs against both renderings of the users and permissions."""
    return request.param


async def _declare_own_stream(session, context: str) -> None:
    """What the kit does for the stream a service owns: create it, or update it when it exists."""
    config = PRODUCTION.stream_config(context)
    await session.js.add_stream(config)
    await session.js.update_stream(config)
    info = await session.js.stream_info(config.name)
    assert info.config.subjects == [f"{context}.>"]


async def _declare_all_streams(connect) -> None:
    for user, context in zip(USERS, CONTEXTS, strict=True):
        await _declare_own_stream(await connect(user), context)


async def test_each_user_creates_and_updates_its_own_stream(connect):
    for user, context in zip(USERS, CONTEXTS, strict=True):
        session = await connect(user)
        await _declare_own_stream(session, context)
        assert session.errors.empty(), session.errors.get_nowait()


async def test_attendance_publishes_clock_ins_but_not_crm_deals(connect):
    await _declare_all_streams(connect)
    attendance = await connect("attendance")
    # The relay's way: a pipelined publish with the event id as the de-duplication id.
    future = await attendance.js.publish_async(
        "attendance.v1.clocked_in.E1", b"{}", headers={"Nats-Msg-Id": "event-1"}
    )
    ack = await asyncio.wait_for(future, ANSWER_S)
    assert ack.stream == "ATTENDANCE"
    await attendance.assert_denied("crm.v1.deal_won.E1")
    crm = await connect("crm")
    assert (await crm.js.stream_info("CRM")).state.messages == 0


async def test_appraisal_cannot_publish_attendance_facts(connect):
    await _declare_all_streams(connect)
    appraisal = await connect("appraisal")
    await appraisal.assert_denied("attendance.v1.clocked_in.E1")
    await appraisal.assert_denied("attendance.v1.day_closed.E1")
    attendance = await connect("attendance")
    assert (await attendance.js.stream_info("ATTENDANCE")).state.messages == 0


async def test_every_user_publishes_on_its_own_context_only(connect, nats_user, owned_context):
    await _declare_all_streams(connect)
    session = await connect(nats_user)
    own = owned_context[nats_user]
    ack = await session.js.publish(_subject(own), b"{}")
    assert ack.stream == _stream(own)
    for context in CONTEXTS:
        if context != own:
            await session.assert_denied(_subject(context))


async def test_a_consumer_reads_and_acknowledges_what_its_service_consumes(
    connect, nats_user, consumed_contexts
):
    """Durable pull consumers named `<projection>_<context>`, as the kit declares them."""
    await _declare_all_streams(connect)
    session = await connect(nats_user)
    for context in sorted(consumed_contexts[nats_user]):
        owner = await connect(USERS[CONTEXTS.index(context)])
        await owner.js.publish(_subject(context), b"{}")
        stream = _stream(context)
        durable = f"deploytest_v1_{context}"
        await session.js.stream_info(stream)
        await session.js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                filter_subject=f"{context}.>",
            ),
        )
        subscription = await session.js.pull_subscribe_bind(durable, stream)
        (message,) = await subscription.fetch(1, timeout=ANSWER_S)
        assert message.subject == _subject(context)
        await message.ack_sync(timeout=ANSWER_S)
        info = await session.js.consumer_info(stream, durable)
        assert (info.num_ack_pending, info.num_pending) == (0, 0)
    assert session.errors.empty(), session.errors.get_nowait()


async def test_a_user_may_not_manage_or_read_streams_it_does_not_own(
    connect, nats_user, owned_context, consumed_contexts
):
    await _declare_all_streams(connect)
    session = await connect(nats_user)
    for context in CONTEXTS:
        if context == owned_context[nats_user]:
            continue
        stream = _stream(context)
        for action in ("CREATE", "UPDATE", "DELETE", "PURGE"):
            await session.assert_denied(f"$JS.API.STREAM.{action}.{stream}")
        if context in consumed_contexts[nats_user]:
            await session.assert_allowed(f"$JS.API.STREAM.INFO.{stream}")
            continue
        await session.assert_denied(f"$JS.API.STREAM.INFO.{stream}")
        await session.assert_denied(f"$JS.API.CONSUMER.CREATE.{stream}.spy_{context}")
        await session.assert_denied(f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.spy_{context}")
        await session.assert_denied(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.spy_{context}")
        await session.assert_cannot_subscribe(f"{context}.>")


async def test_a_consumer_cannot_create_a_missing_stream_it_reads(connect):
    """The kit's fallback (create a consumed stream when missing) is refused: consumers wait."""
    reporting = await connect("reporting")
    with pytest.raises(nats.errors.TimeoutError):
        await reporting.nc.jetstream(timeout=1.0).add_stream(PRODUCTION.stream_config("attendance"))
    error = await asyncio.wait_for(reporting.errors.get(), ANSWER_S)
    assert 'permissions violation for publish to "$js.api.stream.create.attendance"' in error


async def test_the_hr_importer_publishes_the_roster(connect):
    hr = await connect("hr-import")
    hired = EmployeeHired(
        employee_id="E1",
        display_name="Ada Lovelace",
        team_id="T1",
        timezone="UTC",
        hired_on=date(2026, 1, 5),
    )
    stored = await publish_hr_events(hr.js, PRODUCTION, [hired], recorded_at=datetime.now(UTC))
    assert stored == 1
    assert (await hr.js.stream_info("HR")).state.messages == 1
    assert hr.errors.empty(), hr.errors.get_nowait()


async def test_a_wrong_password_is_refused(nats_server, connect):
    await connect("attendance")  # the server answers the right password
    with pytest.raises(nats.errors.Error):
        await nats.connect(
            nats_server.url,
            user="attendance",
            password=nats_server.passwords["crm"],
            allow_reconnect=False,
            connect_timeout=1,
            max_reconnect_attempts=0,
        )


async def test_streams_script_declares_hr_as_the_importer_and_waits_as_a_consumer(
    connect, streams_script
):
    missing = await asyncio.to_thread(streams_script, "reporting", "wait", "hr", "--timeout", "0.1")
    assert missing.returncode == 1
    assert "still no stream HR" in missing.stderr

    refused = await asyncio.to_thread(streams_script, "crm", "declare", "hr")
    assert refused.returncode == 1

    for _ in range(2):  # declaring again updates the same stream
        declared = await asyncio.to_thread(streams_script, "hr-import", "declare", "hr")
        assert declared.returncode == 0, declared.stderr
        assert "stream HR is declared" in declared.stdout
    await _declare_own_stream(await connect("attendance"), "attendance")

    ready = await asyncio.to_thread(streams_script, "reporting", "wait", "hr", "attendance")
    assert ready.returncode == 0, ready.stderr
    assert "streams HR, ATTENDANCE exist" in ready.stdout
    reporting = await connect("reporting")
    assert (await reporting.js.stream_info("HR")).config.subjects == ["hr.>"]


def test_the_compose_configuration_is_valid_and_needs_every_password(repository):
    binary = nats_server_binary()
    passwords = {
        f"{user.upper().replace('-', '_')}_NATS_PASSWORD": secrets.token_hex(16) for user in USERS
    }
    folder = repository / "deploy" / "nats"

    def check(environment: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [binary, "-t", "-c", "nats.conf"],
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
        )

    valid = check(passwords)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    for variable in passwords:
        without = check({k: v for k, v in passwords.items() if k != variable})
        assert without.returncode != 0
        assert variable in without.stdout + without.stderr
