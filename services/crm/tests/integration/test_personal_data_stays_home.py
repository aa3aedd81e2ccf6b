"""R-B3.4: customer names, contact details and free texts never leave crm."""

from datetime import timedelta

from daybook_shared.contracts import REGISTRY
from daybook_shared.testing.auth import as_employee, as_supervisor
from daybook_shared.testing.helpers import stream_messages

from .crm_support import HR, INTEGRATION, Crm

PERSONAL = {
    "name": "Zhang Wei Trading",
    "company": "Zhang Holdings",
    "contact_person": "Li Na",
    "email": "zhang.wei@private.example",
    "phone": "+86 138 0013 8000",
    "address": "88 Century Avenue",
    "city": "Pudong",
    "country": "Elbonia",
    "industry": "Porcelain",
    "website": "zhangwei.example",
}
FREE_TEXTS = {
    "notes": "Li Na prefers calls after three",
    "subject": "Question on the porcelain order",
    "description": "Broken teapot in shipment",
    "title": "Teapots for the spring fair",
    "comment": "Very attentive seller",
    "gift": "Jade bracelet from Mr Zhang",
    "breach": "Shared the client ledger",
}


async def post(crm: Crm, path: str, body: dict, headers: dict) -> dict:
    answer = await crm.http.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    result: dict = answer.json()
    return result


async def test_no_event_on_the_wire_carries_personal_data(crm: Crm):
    e1 = as_employee("E1")
    customer = (await post(crm, "/customers", {**PERSONAL, "phone": None}, e1))["customer_id"]
    await crm.http.patch(f"/customers/{customer}", json={"phone": PERSONAL["phone"]}, headers=e1)
    await post(
        crm,
        f"/customers/{customer}/interactions",
        {"channel": "call", "notes": FREE_TEXTS["notes"]},
        e1,
    )
    await post(
        crm,
        "/integration/webhook",
        {
            "source": "legacy",
            "kind": "customer",
            "external_id": "L-1",
            "version": 1,
            "occurred_at": crm.clock.now().isoformat(),
            "data": {
                "owner_employee_id": "E2",
                "name": "Wang Fang Imports",
                "email": "wang.fang@private.example",
            },
        },
        INTEGRATION,
    )

    legacy = (await crm.http.get("/employees/E2/customers", headers=HR)).json()["customers"]
    await post(
        crm,
        f"/customers/{legacy[0]['customer_id']}/reassign",
        {"new_owner_employee_id": "E1"},
        as_supervisor("S1"),
    )

    answered = await post(
        crm,
        "/inquiries",
        {"customer_id": customer, "channel": "chat", "subject": FREE_TEXTS["subject"]},
        e1,
    )
    await post(crm, "/inquiries", {"customer_id": customer, "channel": "chat"}, e1)
    solved = await post(
        crm,
        "/complaints",
        {"customer_id": customer, "severity": "critical", "description": FREE_TEXTS["description"]},
        e1,
    )
    await post(crm, "/complaints", {"customer_id": customer, "severity": "critical"}, e1)
    won = await post(
        crm,
        "/deals",
        {
            "customer_id": customer,
            "title": FREE_TEXTS["title"],
            "expected_amount": {"amount": "900", "currency": "CNY"},
        },
        e1,
    )
    lost = await post(crm, "/deals", {"customer_id": customer}, e1)
    await post(crm, f"/deals/{won['deal_id']}/stage", {"stage": "negotiation"}, e1)
    crm.clock.advance(timedelta(minutes=30))
    await post(crm, f"/inquiries/{answered['inquiry_id']}/response", {}, e1)
    await post(crm, f"/complaints/{solved['complaint_id']}/resolution", {"outcome": "upheld"}, e1)
    await post(
        crm, f"/deals/{won['deal_id']}/won", {"amount": {"amount": "880", "currency": "CNY"}}, e1
    )
    await post(crm, f"/deals/{lost['deal_id']}/lost", {"reason": "price"}, e1)
    await post(
        crm,
        "/ratings",
        {"customer_id": customer, "rating": 5, "comment": FREE_TEXTS["comment"]},
        as_supervisor("S1"),
    )
    await post(
        crm,
        "/gifts",
        {
            "customer_id": customer,
            "kind": "gift",
            "decision": "accepted",
            "value": {"amount": "300", "currency": "CNY"},
            "description": FREE_TEXTS["gift"],
        },
        e1,
    )
    await post(
        crm,
        "/conduct-breaches",
        {
            "employee_id": "E1",
            "kind": "confidentiality_breach",
            "severity": "major",
            "occurred_on": "2026-12-01",
            "customer_id": customer,
            "description": FREE_TEXTS["breach"],
        },
        as_supervisor("S1"),
    )
    crm.clock.advance(timedelta(days=31))
    assert (await post(crm, "/sweeps/overdue", {}, HR)) == {"inquiries": 1, "complaints": 1}
    assert (await post(crm, "/sweeps/stale-records", {}, HR))["owners_recorded"] == 1

    envelopes = await crm.published()
    assert {e.event_type for e in envelopes} == {
        m.event_type for m in REGISTRY if m.context == "crm"
    }
    assert all(e.payload.get("employee_id") for e in envelopes)
    messages = await stream_messages(crm.js, crm.namespace.stream_name("crm"))
    wire = b"\n".join(m.data + m.subject.encode() for m in messages).decode()
    for secret in [
        *PERSONAL.values(),
        *FREE_TEXTS.values(),
        "Wang Fang",
        "wang.fang@private.example",
    ]:
        assert secret not in wire, f"{secret!r} left crm"
