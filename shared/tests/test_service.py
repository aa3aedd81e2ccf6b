"""The composition root, end to end: a small service built on build_service, on real servers."""

from datetime import UTC, date, datetime
from typing import Annotated, ClassVar

import pytest
from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel

from daybook_shared.contracts import Context, Event
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.kit.eventstore import NewEvent
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.auth import Principal, Role, mint_token, require_roles
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.runtime.service import Kit, ServiceSpec, asyncapi_document, build_service
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET, ServiceSettings
from daybook_shared.testing.helpers import collect_events, eventually
from daybook_shared.testing.http import serve_app

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class RosterProjection:
    name = "roster_v1"
    contexts: ClassVar[list[str]] = [Context.HR]

    async def apply(self, conn, event: Event) -> None:
        await conn.execute(
            "INSERT INTO roster (employee_id, team_id) VALUES ($1, $2) "
            "ON CONFLICT (employee_id) DO UPDATE SET team_id = EXCLUDED.team_id",
            event.payload.employee_id,
            event.payload.team_id,
        )


class Hire(BaseModel):
    employee_id: str
    team_id: str


router = APIRouter()


@router.post("/hires", status_code=201)
async def hire(
    body: Hire,
    kit: Kit,
    principal: Annotated[Principal, Depends(require_roles(Role.HR))],
    idempotency_key: Annotated[str | None, Header()] = None,
):
    async def handler(uow):
        stream = f"employee-{body.employee_id}"
        await uow.load(stream)
        payload = EmployeeHired(
            employee_id=body.employee_id,
            display_name="N",
            team_id=body.team_id,
            timezone="Asia/Shanghai",
            hired_on=date(2026, 3, 1),
        )
        [event] = await uow.append(stream, [NewEvent(payload, kit.clock.now())])
        return {"event_id": str(event.event_id)}

    outcome = await kit.execute(
        "hire",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request=body.model_dump(),
    )
    return outcome.response


@router.get("/roster/{employee_id}")
async def roster(
    employee_id: str, kit: Kit, principal: Annotated[Principal, Depends(require_roles(Role.HR))]
):
    return {
        "team_id": await kit.pool.fetchval(
            "SELECT team_id FROM roster WHERE employee_id = $1", employee_id
        )
    }


SPEC = ServiceSpec(
    name="hrtest",
    context=Context.HR,
    migrations=["tests_support_migrations"],
    routers=[router],
    projections=[RosterProjection()],
)


@pytest.fixture
def settings(database_url, namespace, infra):
    return ServiceSettings(
        service_name="hrtest",
        database_url=database_url,
        nats_url=infra.nats_url,
        namespace=namespace.prefix,
    )


HR = {"Authorization": "Bearer " + mint_token(DEVELOPMENT_JWT_SECRET, role="hr", subject="hr-1")}


@pytest.fixture
async def client(settings, monkeypatch):
    import sys
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).parent / "support"))
    sys.modules.pop("tests_support_migrations", None)
    app = build_service(SPEC, settings, clock=ManualClock(NOW))
    async with serve_app(app) as client:
        yield client


async def test_a_command_is_stored_published_and_projected(client, js, namespace):
    response = await client.post(
        "/hires",
        json={"employee_id": "E1", "team_id": "T1"},
        headers={**HR, "X-Correlation-ID": "corr-42"},
    )
    assert response.status_code == 201, response.text
    [envelope] = await collect_events(js, namespace, Context.HR, count=1)
    assert envelope.event_type == "EmployeeHired"
    assert envelope.correlation_id == "corr-42"
    assert envelope.actor_id == "hr-1"
    assert envelope.recorded_at == NOW
    assert str(envelope.event_id) == response.json()["event_id"]

    async def projected():
        answer = await client.get("/roster/E1", headers=HR)
        return answer.json()["team_id"] == "T1"

    await eventually(projected)


async def test_idempotency_key_replays_the_answer(client, js, namespace):
    first = await client.post(
        "/hires",
        json={"employee_id": "E1", "team_id": "T1"},
        headers={**HR, "Idempotency-Key": "k1"},
    )
    again = await client.post(
        "/hires",
        json={"employee_id": "E1", "team_id": "T1"},
        headers={**HR, "Idempotency-Key": "k1"},
    )
    assert first.json() == again.json()
    other = await client.post(
        "/hires",
        json={"employee_id": "E1", "team_id": "T2"},
        headers={**HR, "Idempotency-Key": "k1"},
    )
    assert other.status_code == 422
    assert "idempotency key" in other.json()["detail"]
    metrics = (await client.get("/metrics")).text
    assert 'daybook_commands_total{command="hire",outcome="replayed"} 1.0' in metrics
    assert 'daybook_events_appended_total{event_type="EmployeeHired"} 1.0' in metrics


async def test_events_from_the_hr_boundary_reach_projections(client, js, namespace):
    hired = EmployeeHired(
        employee_id="E7",
        display_name="Seven",
        team_id="T3",
        timezone="Europe/Berlin",
        hired_on=date(2026, 1, 5),
    )
    assert await publish_hr_events(js, namespace, [hired], recorded_at=NOW) == 1
    assert await publish_hr_events(js, namespace, [hired], recorded_at=NOW) == 0

    async def projected():
        return (await client.get("/roster/E7", headers=HR)).json()["team_id"] == "T3"

    await eventually(projected)


async def test_auth_health_and_documents(client, settings):
    assert (await client.post("/hires", json={})).status_code == 401
    employee = mint_token(DEVELOPMENT_JWT_SECRET, role="employee", subject="e", employee_id="E1")
    denied = await client.post(
        "/hires",
        json={"employee_id": "E1", "team_id": "T"},
        headers={"Authorization": f"Bearer {employee}"},
    )
    assert denied.status_code == 403
    bad = await client.post("/hires", json={"employee_id": "E1"}, headers=HR)
    assert bad.status_code == 422
    assert "team_id" in bad.text
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    document = (await client.get("/asyncapi.json")).json()
    channels = str(document["channels"])
    assert "hr.v1.employee_hired" in channels
    assert "roster_v1" in str(document)


def test_asyncapi_document_needs_no_connection(settings):
    app = build_service(SPEC, settings)
    document = asyncapi_document(app)
    assert document["info"]["title"] == "Daybook hrtest"
    assert any("employee_left" in name for name in str(document["channels"]).split())


async def test_dead_letters_are_listed_and_replayed_over_http(client, js, namespace):
    subject = namespace.subject("hr", "EmployeeHired", "E9")
    await js.publish(subject, b"{broken")
    employee = mint_token(DEVELOPMENT_JWT_SECRET, role="employee", subject="e", employee_id="E1")
    assert (
        await client.get("/admin/dead-letters", headers={"Authorization": f"Bearer {employee}"})
    ).status_code == 403

    async def parked():
        letters = (await client.get("/admin/dead-letters", headers=HR)).json()
        assert len(letters) == 1, letters
        return letters

    [letter] = await eventually(parked)
    assert letter["consumer"] == "roster_v1"
    assert letter["data"] == "{broken"
    assert "invalid event" in letter["error"]
    replay = await client.post(f"/admin/dead-letters/{letter['id']}/replay", headers=HR)
    assert replay.status_code == 409  # still unreadable: kept, with the new error
    assert "still fails" in replay.json()["detail"]
    missing = await client.post("/admin/dead-letters/999/replay", headers=HR)
    assert missing.status_code == 404
