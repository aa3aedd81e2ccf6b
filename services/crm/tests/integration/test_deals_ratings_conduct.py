from daybook_shared.testing.auth import as_employee, as_supervisor

from .crm_support import HR, Crm


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


async def test_deals_are_opened_won_and_lost_and_the_pipeline_shows_them(crm: Crm):
    customer_id = await crm.register("E1")
    opened = []
    for expected in ("5000", "1200", "800"):
        answer = await crm.http.post(
            "/deals",
            json={
                "customer_id": customer_id,
                "expected_amount": cny(expected),
                "title": "Widgets for the new plant",
            },
            headers=as_employee("E1"),
        )
        assert answer.status_code == 201, answer.text
        opened.append(answer.json()["deal_id"])
    won_deal, lost_deal, open_deal = opened
    staged = await crm.http.post(
        f"/deals/{open_deal}/stage", json={"stage": "proposal"}, headers=as_employee("E1")
    )
    assert staged.json()["recorded"] == ["DealStageChanged"]
    assert (
        await crm.http.post(
            f"/deals/{won_deal}/won", json={"amount": cny("4800.50")}, headers=as_employee("E2")
        )
    ).status_code == 403
    won = await crm.http.post(
        f"/deals/{won_deal}/won", json={"amount": cny("4800.50")}, headers=as_employee("E1")
    )
    assert won.json()["recorded"] == ["DealWon"]
    again = await crm.http.post(
        f"/deals/{won_deal}/won", json={"amount": cny("4800.50")}, headers=as_employee("E1")
    )
    assert again.status_code == 200
    assert again.json()["recorded"] == []
    other_amount = await crm.http.post(
        f"/deals/{won_deal}/won", json={"amount": cny("9000")}, headers=as_employee("E1")
    )
    assert other_amount.status_code == 409
    lost = await crm.http.post(
        f"/deals/{lost_deal}/lost", json={"reason": "competitor"}, headers=as_supervisor("S1")
    )
    assert lost.json()["recorded"] == ["DealLost"]

    pipeline = (
        await crm.http.get("/pipeline", params={"employee_id": "E1"}, headers=as_employee("E1"))
    ).json()
    assert pipeline["open_by_stage"] == [
        {"stage": "proposal", "deals": 1, "expected": cny("800.00")},
    ]
    assert pipeline["closed"] == [
        {"status": "lost", "deals": 1, "amount": None},
        {"status": "won", "deals": 1, "amount": cny("4800.50")},
    ]
    assert [d["deal_id"] for d in pipeline["open_deals"]] == [open_deal]
    south = await crm.http.get(
        "/pipeline", params={"team_id": "north"}, headers=as_supervisor("S2")
    )
    assert south.status_code == 403
    assert (await crm.http.get("/pipeline", headers=HR)).json() == pipeline

    [event] = await crm.published_of("DealWon")
    assert event.payload == {
        "deal_id": won_deal,
        "customer_id": customer_id,
        "employee_id": "E1",
        "amount": cny("4800.50"),
    }
    [lost_event] = await crm.published_of("DealLost")
    assert lost_event.payload["reason"] == "competitor"
    assert lost_event.payload["employee_id"] == "E1"
    assert "Widgets" not in str([e.payload for e in await crm.published()])


async def test_money_must_be_decimal_with_a_currency(crm: Crm):
    customer_id = await crm.register("E1")
    deal = (
        await crm.http.post("/deals", json={"customer_id": customer_id}, headers=as_employee("E1"))
    ).json()["deal_id"]
    for amount in (
        {"amount": "12.345", "currency": "CNY"},
        {"amount": "12", "currency": "cny"},
        {"amount": "12"},
        {"amount": "-5", "currency": "CNY"},
    ):
        answer = await crm.http.post(
            f"/deals/{deal}/won", json={"amount": amount}, headers=as_employee("E1")
        )
        assert answer.status_code == 422, amount
    assert await crm.stored_events("DealWon") == []


async def test_satisfaction_is_rated_one_to_five_for_the_salesperson_who_served(crm: Crm):
    customer_id = await crm.register("E1")
    for rating in (0, 6):
        out_of_range = await crm.http.post(
            "/ratings", json={"customer_id": customer_id, "rating": rating}, headers=HR
        )
        assert out_of_range.status_code == 422
        assert out_of_range.json()["field"] == "rating"
    self_rated = await crm.http.post(
        "/ratings", json={"customer_id": customer_id, "rating": 5}, headers=as_employee("E1")
    )
    assert self_rated.status_code == 403
    rated = await crm.http.post(
        "/ratings",
        json={
            "customer_id": customer_id,
            "rating": 4,
            "served_by": "E2",
            "comment": "Helpful and quick",
        },
        headers=as_supervisor("S1"),
    )
    assert rated.status_code == 201, rated.text
    [event] = await crm.published_of("SatisfactionRated")
    assert event.payload == {
        "rating_id": rated.json()["rating_id"],
        "customer_id": customer_id,
        "employee_id": "E2",
        "rating": 4,
        "source": "manual",
    }
    assert len(await crm.stored_events()) == 2


async def test_an_accepted_gift_is_declared_with_a_severity(crm: Crm):
    customer_id = await crm.register("E1")
    accepted = await crm.http.post(
        "/gifts",
        json={
            "customer_id": customer_id,
            "kind": "gift",
            "decision": "accepted",
            "value": cny("500"),
            "description": "A bottle of Moutai",
        },
        headers=as_employee("E1"),
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["severity"] == "major"
    declined = await crm.http.post(
        "/gifts",
        json={"kind": "cash", "decision": "declined", "value": cny("2000")},
        headers=as_employee("E1"),
    )
    assert declined.json()["severity"] is None
    for_someone_else = await crm.http.post(
        "/gifts",
        json={"employee_id": "E2", "kind": "gift", "decision": "accepted", "value": cny("10")},
        headers=as_employee("E1"),
    )
    assert for_someone_else.status_code == 403
    gifts = await crm.published_of("GiftDeclared")
    assert [g.payload for g in gifts] == [
        {
            "declaration_id": accepted.json()["declaration_id"],
            "employee_id": "E1",
            "customer_id": customer_id,
            "kind": "gift",
            "decision": "accepted",
            "value": cny("500"),
            "severity": "major",
            "rule_ids": ["R-B3.2"],
        },
        {
            "declaration_id": declined.json()["declaration_id"],
            "employee_id": "E1",
            "customer_id": None,
            "kind": "cash",
            "decision": "declined",
            "value": cny("2000"),
            "severity": None,
            "rule_ids": ["R-B3.2"],
        },
    ]
    assert "Moutai" not in gifts[0].model_dump_json()


async def test_a_conduct_breach_is_reported_by_the_supervisor_or_hr(crm: Crm):
    customer_id = await crm.register("E1")
    body = {
        "employee_id": "E1",
        "kind": "confidentiality_breach",
        "severity": "serious",
        "occurred_on": "2026-11-30",
        "customer_id": customer_id,
        "description": "Sent the customer list to a competitor",
    }
    assert (
        await crm.http.post("/conduct-breaches", json=body, headers=as_employee("E2"))
    ).status_code == 403
    assert (
        await crm.http.post("/conduct-breaches", json=body, headers=as_supervisor("S2"))
    ).status_code == 403
    reported = await crm.http.post("/conduct-breaches", json=body, headers=as_supervisor("S1"))
    assert reported.status_code == 201, reported.text
    by_hr = await crm.http.post(
        "/conduct-breaches",
        json={
            "employee_id": "E3",
            "kind": "improper_dealing",
            "severity": "minor",
            "occurred_on": "2026-11-29",
        },
        headers=HR,
    )
    assert by_hr.status_code == 201, by_hr.text
    future = await crm.http.post(
        "/conduct-breaches", json={**body, "occurred_on": "2026-12-05"}, headers=HR
    )
    assert future.status_code == 422
    assert future.json()["field"] == "occurred_on"

    breaches = await crm.published_of("ConductBreachReported")
    assert [b.payload for b in breaches] == [
        {
            "report_id": reported.json()["report_id"],
            "employee_id": "E1",
            "kind": "confidentiality_breach",
            "severity": "serious",
            "reporter_role": "supervisor",
            "reported_by": "S1",
            "occurred_on": "2026-11-30",
            "customer_id": customer_id,
            "rule_ids": ["R-B3.4"],
        },
        {
            "report_id": by_hr.json()["report_id"],
            "employee_id": "E3",
            "kind": "improper_dealing",
            "severity": "minor",
            "reporter_role": "hr",
            "reported_by": None,
            "occurred_on": "2026-11-29",
            "customer_id": None,
            "rule_ids": ["R-B3.2"],
        },
    ]
    assert "competitor" not in breaches[0].model_dump_json()
