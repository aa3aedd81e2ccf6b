"""Every service's HTTP API, with the four services running as separate processes: a call without
a token is 401, with a token signed by another key 401, with another employee's token (or another
team's supervisor's) 403 and nothing is stored; the person's own token is let in.

(That a service's NATS user cannot publish on another context's subjects is proved in
tests/deploy/test_nats_permissions.py.)"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import httpx
import nats
import pytest

from daybook_cli.client import Caller, Tokens
from daybook_cli.demo import timers_off
from daybook_cli.settle import wait_until_settled
from daybook_cli.system import LocalSystem
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.infra import Infra
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.auth import mint_token
from daybook_shared.runtime.clock import FileClock

pytestmark = pytest.mark.slow

NOW = datetime.fromisoformat("2026-09-01T10:00:00+08:00")
ROSTER = [
    ("S1", "T1", "supervisor", None),
    ("S2", "T2", "supervisor", None),
    ("E1", "T1", "salesperson", "S1"),
    ("E2", "T1", "salesperson", "S1"),
    ("E3", "T2", "salesperson", "S2"),
]
# One read of E1's own data per service.
READS = {
    "attendance": "/employees/E1/schedules",
    "reporting": "/employees/E1/daily-reports",
    "crm": "/employees/E1/customers",
    "appraisal": "/appraisal/employees/E1/actions",
}
TOKENS = Tokens()


def bearer(caller: Caller) -> dict[str, str]:
    return TOKENS.header(caller)


@pytest.fixture(scope="module")
async def system(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LocalSystem]:
    """The four services with a roster of two teams, once every service has read it."""
    workdir = tmp_path_factory.mktemp("security")
    clock_file = workdir / "clock"
    FileClock(str(clock_file)).set(NOW)
    running = LocalSystem(
        infra, workdir / "logs", clock_file=clock_file, service_env=timers_off(NOW.date())
    )
    try:
        await running.start()
        hires = [
            EmployeeHired(
                employee_id=employee_id,
                display_name=f"Person {employee_id}",
                team_id=team_id,
                supervisor_id=supervisor_id,
                role=role,
                timezone="Asia/Shanghai",
                hired_on=date(2026, 1, 5),
            )
            for employee_id, team_id, role, supervisor_id in ROSTER
        ]
        client = await nats.connect(infra.nats_url)
        try:
            await publish_hr_events(client.jetstream(), running.namespace, hires, recorded_at=NOW)
        finally:
            await client.close()
        await wait_until_settled(infra.nats_url, running.namespace, running.urls)
        yield running
    finally:
        await running.stop()


@pytest.mark.parametrize("service", sorted(READS))
async def test_a_call_without_a_token_is_401(system, service):
    async with httpx.AsyncClient(base_url=system.urls[service]) as http:
        answer = await http.get(READS[service])
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("service", sorted(READS))
async def test_a_token_signed_with_another_key_is_401(system, service):
    forged = mint_token(secrets.token_hex(32), role="hr", subject="intruder")
    async with httpx.AsyncClient(base_url=system.urls[service]) as http:
        answer = await http.get(READS[service], headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("service", sorted(READS))
async def test_another_employees_token_is_403_and_the_own_is_let_in(system, service):
    async with httpx.AsyncClient(base_url=system.urls[service]) as http:
        colleague = await http.get(READS[service], headers=bearer(Caller.employee("E2")))
        other_supervisor = await http.get(READS[service], headers=bearer(Caller.supervisor("S2")))
        own = await http.get(READS[service], headers=bearer(Caller.employee("E1")))
        supervisor = await http.get(READS[service], headers=bearer(Caller.supervisor("S1")))
    assert colleague.status_code == 403, colleague.text
    assert other_supervisor.status_code == 403, other_supervisor.text
    assert own.status_code == 200, own.text
    assert supervisor.status_code == 200, supervisor.text


async def test_clocking_in_for_another_employee_is_403_and_stores_nothing(system):
    day = NOW.date().isoformat()
    async with httpx.AsyncClient(base_url=system.urls["attendance"]) as http:
        refused = await http.post("/employees/E1/clock-in", headers=bearer(Caller.employee("E2")))
        after = await http.get(f"/employees/E1/days/{day}", headers=bearer(Caller.hr()))
    assert refused.status_code == 403, refused.text
    assert after.status_code == 200, after.text
    assert after.json()["day"] is None


async def test_a_report_filed_for_another_employee_is_impossible(system):
    """Reports are the caller's own (R-A2): E2's token files E2's report, never E1's."""
    body = {
        "report_date": NOW.date().isoformat(),
        "work": "w",
        "progress": "p",
        "challenges": "c",
        "solutions": "s",
    }
    async with httpx.AsyncClient(base_url=system.urls["reporting"]) as http:
        filed = await http.post("/daily-reports", json=body, headers=bearer(Caller.employee("E2")))
        theirs = await http.get(
            "/employees/E1/daily-reports",
            params={"from": body["report_date"], "to": body["report_date"]},
            headers=bearer(Caller.hr()),
        )
    assert filed.status_code == 201, filed.text
    assert filed.json()["employee_id"] == "E2"
    assert all(row.get("status") != "on_time" for row in theirs.json()), theirs.text


async def test_an_expired_token_is_401(system):
    stale = mint_token(
        TOKENS.secret,
        role="employee",
        subject="E1",
        employee_id="E1",
        now=datetime.now(NOW.tzinfo) - timedelta(days=2),
    )
    async with httpx.AsyncClient(base_url=system.urls["attendance"]) as http:
        answer = await http.get(READS["attendance"], headers={"Authorization": f"Bearer {stale}"})
    assert answer.status_code == 401, answer.text
    assert "expired" in answer.json()["detail"]
