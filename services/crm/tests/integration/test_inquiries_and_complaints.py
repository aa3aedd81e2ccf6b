import asyncio
from datetime import datetime, timedelta
from unittest.mock import ANY

from daybook_crm.bootstrap import build_app
from daybook_crm.settings import CrmSettings
from daybook_shared.testing.auth import as_employee, as_supervisor
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .crm_support import HR, INTEGRATION, Crm, shanghai


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def receive(crm: Crm, customer_id: str, channel: str = "phone", **more: str) -> dict:
    answer = await crm.http.post(
        "/inquiries",
        json={"customer_id": customer_id, "channel": channel, **more},
        headers=as_employee("E1"),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_inquiry_answered_in_time(crm: Crm):
    customer_id = await crm.register("E1")
    received = await receive(crm, customer_id, subject="Price of the blue widgets?")
    assert instant(received["respond_by"]) == shanghai(2026, 12, 1, 14, 0)
    crm.clock.advance(timedelta(minutes=90))
    answered = await crm.http.post(
        f"/inquiries/{received['inquiry_id']}/response", headers=as_employee("E1")
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["within_deadline"] is True
    [event] = await crm.published_of("InquiryResponded")
    assert event.payload["employee_id"] == "E1"
    assert event.payload["responded_by"] == "E1"
    assert event.payload["within_deadline"] is True
    assert event.payload["response_business_minutes"] == 90
    [arrival] = await crm.published_of("InquiryReceived")
    assert arrival.payload["channel"] == "phone"
    assert arrival.payload["business_timezone"] == "Asia/Shanghai"
    assert "widgets" not in arrival.model_dump_json()


async def test_an_inquiry_answered_late(crm: Crm):
    customer_id = await crm.register("E1")
    received = await receive(crm, customer_id)
    crm.clock.advance(timedelta(hours=6))
    answered = await crm.http.post(
        f"/inquiries/{received['inquiry_id']}/response", headers=as_supervisor("S1")
    )
    assert answered.json()["within_deadline"] is False
    [event] = await crm.published_of("InquiryResponded")
    assert event.payload["within_deadline"] is False
    assert event.payload["response_business_minutes"] == 360
    assert event.payload["employee_id"] == "E1"
    assert event.payload["responded_by"] == "S1"
    twice = await crm.http.post(
        f"/inquiries/{received['inquiry_id']}/response", headers=as_employee("E1")
    )
    assert twice.status_code == 409


async def test_an_inquiry_never_answered_is_recorded_overdue_once(crm: Crm):
    customer_id = await crm.register("E1")
    received = await receive(crm, customer_id)
    inquiry_id = received["inquiry_id"]
    crm.clock.advance(timedelta(hours=3))
    early = await crm.http.post("/sweeps/overdue", headers=HR)
    assert early.json() == {"inquiries": 0, "complaints": 0}
    open_before = await crm.http.get("/inquiries/open", headers=as_employee("E1"))
    assert [(i["inquiry_id"], i["overdue"]) for i in open_before.json()["inquiries"]] == [
        (inquiry_id, False)
    ]
    crm.clock.advance(timedelta(hours=2))
    swept = await crm.http.post("/sweeps/overdue", headers=INTEGRATION)
    assert swept.json() == {"inquiries": 1, "complaints": 0}
    again = await crm.http.post("/sweeps/overdue", headers=HR)
    assert again.json() == {"inquiries": 0, "complaints": 0}
    team_view = await crm.http.get(
        "/inquiries/open", params={"employee_id": "E1"}, headers=as_supervisor("S1")
    )
    assert team_view.json()["inquiries"][0]["overdue_recorded"] is True
    assert (
        await crm.http.get(
            "/inquiries/open", params={"employee_id": "E1"}, headers=as_employee("E2")
        )
    ).status_code == 403

    [overdue] = await crm.published_of("InquiryOverdue")
    assert overdue.payload == {
        "inquiry_id": inquiry_id,
        "customer_id": customer_id,
        "employee_id": "E1",
        "respond_by": ANY,
    }
    assert instant(overdue.payload["respond_by"]) == instant(received["respond_by"])
    assert overdue.occurred_at == instant(received["respond_by"])

    crm.clock.advance(timedelta(days=1))
    late = await crm.http.post(f"/inquiries/{inquiry_id}/response", headers=as_employee("E1"))
    assert late.json()["within_deadline"] is False
    [responded] = await crm.published_of("InquiryResponded")
    assert responded.payload["was_overdue"] is True
    assert (await crm.http.get("/inquiries/open", headers=HR)).json()["inquiries"] == []


async def test_an_inquiry_across_a_weekend_counts_business_hours_only(crm: Crm):
    customer_id = await crm.register("E1")
    crm.clock.set(shanghai(2026, 12, 4, 17, 0))  # Friday
    received = await receive(crm, customer_id)
    assert instant(received["respond_by"]) == shanghai(2026, 12, 7, 12, 0)  # Monday noon
    crm.clock.set(shanghai(2026, 12, 6, 12, 0))  # Sunday: not due yet
    assert (await crm.http.post("/sweeps/overdue", headers=HR)).json()["inquiries"] == 0
    crm.clock.set(shanghai(2026, 12, 7, 11, 0))
    answered = await crm.http.post(
        f"/inquiries/{received['inquiry_id']}/response", headers=as_employee("E1")
    )
    assert answered.json() == {
        "inquiry_id": received["inquiry_id"],
        "within_deadline": True,
        "response_business_minutes": 180,
        "recorded": ["InquiryResponded"],
    }
    [event] = await crm.published_of("InquiryResponded")
    assert event.payload["response_elapsed_minutes"] == 66 * 60


async def test_another_employee_cannot_answer_or_record_for_a_customer_not_theirs(crm: Crm):
    customer_id = await crm.register("E1")
    received = await receive(crm, customer_id)
    foreign = await crm.http.post(
        f"/inquiries/{received['inquiry_id']}/response", headers=as_employee("E2")
    )
    assert foreign.status_code == 403
    not_theirs = await crm.http.post(
        "/inquiries",
        json={"customer_id": customer_id, "channel": "email"},
        headers=as_employee("E3"),
    )
    assert not_theirs.status_code == 403
    future = await crm.http.post(
        "/inquiries",
        json={
            "customer_id": customer_id,
            "channel": "email",
            "received_at": shanghai(2026, 12, 2, 10, 0).isoformat(),
        },
        headers=as_employee("E1"),
    )
    assert future.status_code == 422
    assert future.json()["field"] == "received_at"
    bad_channel = await crm.http.post(
        "/inquiries",
        json={"customer_id": customer_id, "channel": "pigeon"},
        headers=as_employee("E1"),
    )
    assert bad_channel.status_code == 422
    assert len(await crm.stored_events("InquiryReceived")) == 1


async def test_a_complaint_resolved_late(crm: Crm):
    customer_id = await crm.register("E1")
    filed = await crm.http.post(
        "/complaints",
        json={
            "customer_id": customer_id,
            "severity": "high",
            "kind": "dispute",
            "description": "Invoice 42 charged twice",
        },
        headers=as_employee("E1"),
    )
    assert filed.status_code == 201, filed.text
    assert instant(filed.json()["resolve_by"]) == shanghai(2026, 12, 4, 10, 0)
    crm.clock.set(shanghai(2026, 12, 7, 10, 0))
    resolved = await crm.http.post(
        f"/complaints/{filed.json()['complaint_id']}/resolution",
        json={"outcome": "upheld"},
        headers=as_employee("E1"),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["within_deadline"] is False
    [event] = await crm.published_of("ComplaintResolved")
    assert event.payload["within_deadline"] is False
    assert event.payload["resolution_business_minutes"] == 4 * 540
    assert event.payload["employee_id"] == "E1"
    assert event.payload["severity"] == "high"
    [filed_event] = await crm.published_of("ComplaintFiled")
    assert filed_event.payload["kind"] == "dispute"
    assert "Invoice" not in filed_event.model_dump_json()


async def test_an_unresolved_complaint_is_recorded_overdue_once(crm: Crm):
    customer_id = await crm.register("E1")
    filed = await crm.http.post(
        "/complaints",
        json={"customer_id": customer_id, "severity": "critical"},
        headers=as_employee("E1"),
    )
    complaint_id = filed.json()["complaint_id"]
    listed = await crm.http.get("/complaints/open", headers=as_supervisor("S1"))
    assert [c["complaint_id"] for c in listed.json()["complaints"]] == [complaint_id]
    crm.clock.advance(timedelta(days=1, minutes=1))
    assert (await crm.http.post("/sweeps/overdue", headers=HR)).json() == {
        "inquiries": 0,
        "complaints": 1,
    }
    assert (await crm.http.post("/sweeps/overdue", headers=HR)).json()["complaints"] == 0
    [overdue] = await crm.published_of("ComplaintOverdue")
    assert overdue.payload == {
        "complaint_id": complaint_id,
        "customer_id": customer_id,
        "employee_id": "E1",
        "severity": "critical",
        "resolve_by": ANY,
    }
    assert instant(overdue.payload["resolve_by"]) == instant(filed.json()["resolve_by"])


async def test_the_scheduler_records_overdue_inquiries_once_across_two_replicas(
    crm: Crm, settings: CrmSettings
):
    customer_id = await crm.register("E1")
    await receive(crm, customer_id)
    crm.clock.advance(timedelta(hours=5))
    replica = settings.model_copy(update={"run_scheduler": True, "overdue_sweep_interval_s": 0.05})
    async with (
        serve_app(build_app(replica, clock=crm.clock)),
        serve_app(build_app(replica, clock=crm.clock)),
    ):

        async def recorded() -> None:
            assert len(await crm.stored_events("InquiryOverdue")) == 1

        await eventually(recorded)
        await asyncio.gather(*(crm.http.post("/sweeps/overdue", headers=HR) for _ in range(3)))
    assert len(await crm.stored_events("InquiryOverdue")) == 1
    assert len(await crm.published_of("InquiryOverdue")) == 1
