"""The four services, as separate processes in production mode, start and work under their own
NATS users (deploy/nats): each declares its stream, consumes what it reads, relays its events,
and the server logs no permission violation. Their HTTP APIs refuse calls without a valid token
signed with the deployment's key (401) and calls by the wrong role (403)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from daybook_shared.contracts import Namespace
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.infra import create_database, drop_database
from daybook_shared.infra.embedded import free_port
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.auth import mint_token
from daybook_shared.testing.helpers import eventually

pytestmark = pytest.mark.slow

# Owners first: a service reads streams that their owners declare when they start.
START_ORDER = ("attendance", "crm", "reporting", "appraisal")
READY_S = 90.0
STOP_S = 20.0
JWT_SECRET = secrets.token_hex(32)


class RunningService:
    def __init__(self, name: str, process: asyncio.subprocess.Process, port: int, log: Path):
        self.name = name
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _environment(service: str, database_url: str, nats_url: str, password: str, port: int):
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYBOOK_") and key not in ("DATABASE_URL", "NATS_URL")
    }
    return {
        **inherited,
        "DAYBOOK_ENVIRONMENT": "production",
        "DAYBOOK_LOG_FORMAT": "json",
        "DAYBOOK_JWT_SECRET": JWT_SECRET,
        "DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "DAYBOOK_NATS_USER": service,
        "DAYBOOK_NATS_PASSWORD": password,
        "DAYBOOK_HTTP_HOST": "127.0.0.1",
        "DAYBOOK_HTTP_PORT": str(port),
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def databases(infra) -> AsyncIterator[dict[str, str]]:
    """A fresh database per service, as in a deployment."""
    names = {service: f"t_{service}_{secrets.token_hex(4)}" for service in START_ORDER}
    urls = {s: await create_database(infra.postgres_url, n) for s, n in names.items()}
    yield urls
    for name in names.values():
        await drop_database(infra.postgres_url, name)


@pytest.fixture
async def start_service(nats_server, databases, tmp_path) -> AsyncIterator:
    running: list[RunningService] = []

    async def start(service: str) -> RunningService:
        port = free_port()
        log = tmp_path / f"{service}.log"
        environment = _environment(
            service, databases[service], nats_server.url, nats_server.passwords[service], port
        )
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"daybook_{service}",
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        handle = RunningService(service, process, port, log)
        running.append(handle)

        async def ready() -> None:
            if process.returncode is not None:
                pytest.fail(f"{service} exited with {process.returncode}:\n{handle.tail()}")
            async with httpx.AsyncClient(timeout=2.0) as client:
                try:
                    answer = await client.get(f"{handle.url}/readyz")
                except httpx.TransportError as exc:
                    raise AssertionError(f"{service} does not answer yet: {exc!r}") from exc
            assert answer.status_code == 200, answer.text

        await eventually(ready, timeout=READY_S, interval=0.2)
        return handle

    yield start
    for handle in running:
        if handle.process.returncode is None:
            handle.process.terminate()
    for handle in running:
        try:
            await asyncio.wait_for(handle.process.wait(), STOP_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                handle.process.kill()
            await handle.process.wait()


async def test_services_start_consume_and_relay_under_their_own_users(
    nats_server, connect, streams_script, start_service, service_specs
):
    declared = await asyncio.to_thread(streams_script, "hr-import", "declare", "hr")
    assert declared.returncode == 0, declared.stderr
    services = {name: await start_service(name) for name in START_ORDER}

    hr = await connect("hr-import")
    hired = EmployeeHired(
        employee_id="E1",
        display_name="Grace Hopper",
        team_id="T1",
        timezone="UTC",
        hired_on=date(2026, 1, 5),
    )
    assert await publish_hr_events(hr.js, Namespace(), [hired], recorded_at=datetime.now(UTC))

    holiday = {"holiday_date": "2026-05-01", "name": "Labour Day"}
    hr_token = mint_token(JWT_SECRET, role="hr", subject="H1")
    employee_token = mint_token(JWT_SECRET, role="employee", subject="E1", employee_id="E1")
    foreign_token = mint_token(secrets.token_hex(32), role="hr", subject="H1")
    async with httpx.AsyncClient(base_url=services["attendance"].url, timeout=10.0) as client:
        anonymous = await client.post("/holidays", json=holiday)
        assert anonymous.status_code == 401, anonymous.text
        forged = await client.post("/holidays", json=holiday, headers=_bearer(foreign_token))
        assert forged.status_code == 401, forged.text
        employee = await client.post("/holidays", json=holiday, headers=_bearer(employee_token))
        assert employee.status_code == 403, employee.text
        answer = await client.post("/holidays", json=holiday, headers=_bearer(hr_token))
    assert answer.status_code == 201, answer.text

    sessions = {name: await connect(name) for name in START_ORDER}

    async def attendance_relayed() -> None:
        info = await sessions["attendance"].js.stream_info("ATTENDANCE")
        assert info.state.messages >= 1, "the relay published nothing"

    await eventually(attendance_relayed, timeout=30.0)

    async def everything_consumed() -> None:
        for service, spec in service_specs.items():
            js = sessions[service].js
            for projection in spec.projections:
                for context in projection.contexts:
                    stream = Namespace().stream_name(context)
                    last = (await js.stream_info(stream)).state.last_seq
                    durable = f"{projection.name}_{context}"
                    info = await js.consumer_info(stream, durable)
                    assert info.delivered.stream_seq == last, f"{durable} is behind"
                    assert info.num_ack_pending == 0, f"{durable} has unacknowledged events"

    await eventually(everything_consumed, timeout=60.0, interval=0.2)
    assert nats_server.violations() == []
    for handle in services.values():
        assert handle.process.returncode is None, f"{handle.name} stopped:\n{handle.tail()}"
