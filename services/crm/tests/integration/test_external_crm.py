from daybook_shared.testing.auth import as_employee

from .crm_support import HR, INTEGRATION, Crm


def change(kind: str, external_id: str, version: int, data: dict, **more: object) -> dict:
    return {
        "source": "salesforce",
        "kind": kind,
        "external_id": external_id,
        "version": version,
        "occurred_at": "2026-12-01T09:30:00+08:00",
        "data": data,
        **more,
    }


CUSTOMER_V1 = change(
    "customer",
    "ACC-1",
    1,
    {"owner_employee_id": "E1", "name": "Acme Trading", "email": "buyer@acme.example"},
)


async def send(crm: Crm, body: dict, headers: dict | None = None) -> dict:
    answer = await crm.http.post("/integration/webhook", json=body, headers=headers or INTEGRATION)
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


async def test_customer_changes_apply_in_version_order_and_older_ones_are_ignored(crm: Crm):
    first = await send(crm, CUSTOMER_V1)
    assert first["status"] == "applied"
    assert first["recorded"] == ["CustomerRegistered"]
    customer_id = first["id"]
    third = await send(
        crm,
        change(
            "customer",
            "ACC-1",
            3,
            {
                "owner_employee_id": "E2",
                "name": "Acme Trading",
                "email": "orders@acme.example",
                "city": "Suzhou",
            },
        ),
    )
    assert third["recorded"] == ["CustomerRecordUpdated", "CustomerReassigned"]
    older = await send(
        crm,
        change(
            "customer",
            "ACC-1",
            2,
            {
                "owner_employee_id": "E1",
                "name": "Acme Old Name",
            },
        ),
    )
    assert older["status"] == "ignored"
    assert older["applied_version"] == 3
    details = (await crm.http.get(f"/customers/{customer_id}", headers=HR)).json()
    assert details["owner_employee_id"] == "E2"
    assert details["details"] == {
        "name": "Acme Trading",
        "email": "orders@acme.example",
        "city": "Suzhou",
    }
    events = await crm.published()
    assert [e.event_type for e in events] == [
        "CustomerRegistered",
        "CustomerRecordUpdated",
        "CustomerReassigned",
    ]
    assert events[0].payload["source"] == "webhook"
    assert events[1].payload["changed_fields"] == ["email", "city"]


async def test_a_deal_won_twice_by_a_retried_webhook_records_one_event(crm: Crm):
    await send(crm, CUSTOMER_V1)
    opened = await send(
        crm,
        change(
            "deal",
            "OPP-7",
            2,
            {
                "customer_external_id": "ACC-1",
                "stage": "proposal",
                "expected_amount": {"amount": "5000", "currency": "CNY"},
            },
        ),
    )
    assert opened["recorded"] == ["DealOpened"]
    won = change(
        "deal",
        "OPP-7",
        3,
        {
            "customer_external_id": "ACC-1",
            "stage": "won",
            "amount": {"amount": "4800", "currency": "CNY"},
        },
    )
    first = await send(crm, won)
    retried = await send(crm, won)
    assert first == retried
    assert first["recorded"] == ["DealWon"]
    resent = await send(crm, {**won, "version": 4})
    assert resent["status"] == "applied"
    assert resent["recorded"] == []
    older = await send(
        crm,
        change(
            "deal",
            "OPP-7",
            1,
            {"customer_external_id": "ACC-1", "stage": "lost", "lost_reason": "price"},
        ),
    )
    assert older["status"] == "ignored"
    [deal_won] = await crm.published_of("DealWon")
    assert deal_won.payload == {
        "deal_id": opened["id"],
        "customer_id": deal_won.payload["customer_id"],
        "employee_id": "E1",
        "amount": {"amount": "4800", "currency": "CNY"},
    }
    assert await crm.published_of("DealLost") == []
    assert len(await crm.stored_events("DealWon")) == 1


async def test_a_deal_first_seen_closed_is_opened_and_closed(crm: Crm):
    await send(crm, CUSTOMER_V1)
    lost = await send(
        crm,
        change(
            "deal",
            "OPP-8",
            4,
            {
                "customer_external_id": "ACC-1",
                "stage": "lost",
                "lost_reason": "no_budget",
                "owner_employee_id": "E2",
            },
        ),
    )
    assert lost["recorded"] == ["DealOpened", "DealLost"]
    [event] = await crm.published_of("DealLost")
    assert event.payload["employee_id"] == "E2"


async def test_inquiries_and_ratings_arrive_from_the_webhook(crm: Crm):
    await send(crm, CUSTOMER_V1)
    inquiry = await send(
        crm,
        change(
            "inquiry",
            "CASE-1",
            1,
            {
                "customer_external_id": "ACC-1",
                "channel": "email",
                "received_at": "2026-12-01T08:30:00+08:00",
                "responded_at": "2026-12-01T09:45:00+08:00",
            },
        ),
    )
    assert inquiry["recorded"] == ["InquiryReceived", "InquiryResponded"]
    rating = await send(
        crm,
        change(
            "rating",
            "SURVEY-1",
            1,
            {
                "customer_external_id": "ACC-1",
                "rating": 5,
            },
        ),
    )
    assert rating["recorded"] == ["SatisfactionRated"]
    revised = await send(
        crm,
        change(
            "rating",
            "SURVEY-1",
            2,
            {
                "customer_external_id": "ACC-1",
                "rating": 2,
            },
        ),
    )
    assert revised["recorded"] == []
    out_of_range = await crm.http.post(
        "/integration/webhook",
        headers=INTEGRATION,
        json=change("rating", "SURVEY-2", 1, {"customer_external_id": "ACC-1", "rating": 6}),
    )
    assert out_of_range.status_code == 422
    assert out_of_range.json()["field"] == "body.rating.data.rating"

    [responded] = await crm.published_of("InquiryResponded")
    assert responded.payload["within_deadline"] is True
    assert responded.payload["response_business_minutes"] == 45
    assert responded.payload["response_elapsed_minutes"] == 75
    [rated] = await crm.published_of("SatisfactionRated")
    assert rated.payload["rating"] == 5
    assert rated.payload["employee_id"] == "E1"
    assert rated.payload["source"] == "webhook"


async def test_the_webhook_refuses_what_it_cannot_apply_and_stores_nothing(crm: Crm):
    for headers in (HR, as_employee("E1")):
        refused = await crm.http.post("/integration/webhook", json=CUSTOMER_V1, headers=headers)
        assert refused.status_code == 403
    unknown_customer = await crm.http.post(
        "/integration/webhook",
        headers=INTEGRATION,
        json=change("deal", "OPP-1", 1, {"customer_external_id": "ACC-404", "stage": "lead"}),
    )
    assert unknown_customer.status_code == 422
    assert unknown_customer.json()["field"] == "data.customer_external_id"
    unknown_owner = await crm.http.post(
        "/integration/webhook",
        headers=INTEGRATION,
        json=change("customer", "ACC-2", 1, {"owner_employee_id": "E404", "name": "Nobody's"}),
    )
    assert unknown_owner.status_code == 422
    assert unknown_owner.json()["field"] == "data.owner_employee_id"
    won_without_amount = await crm.http.post(
        "/integration/webhook",
        headers=INTEGRATION,
        json=change("deal", "OPP-1", 1, {"customer_external_id": "ACC-1", "stage": "won"}),
    )
    assert won_without_amount.status_code == 422
    assert await crm.stored_events() == []
    assert await crm.db.fetchval("SELECT count(*) FROM crm.external_refs") == 0

    await send(crm, CUSTOMER_V1)
    same_version_other_body = await crm.http.post(
        "/integration/webhook",
        headers=INTEGRATION,
        json={**CUSTOMER_V1, "data": {**CUSTOMER_V1["data"], "name": "Other"}},
    )
    assert same_version_other_body.status_code == 422
    assert same_version_other_body.json()["error"] == "idempotency_conflict"


IMPORT = (
    "external_id,owner_employee_id,name,email,phone,city\n"
    "ACC-1,E1,Acme Trading,buyer@acme.example,+86 21 5555 0100,Shanghai\n"
    "ACC-2,E1,,nobody@example.com,,\n"
    "ACC-3,E404,Ghost Ltd,,,\n"
    "ACC-4,E2,Bolt & Nut,not-an-address,,Suzhou\n"
    "ACC-5,E2,Cargo Ltd,,,Ningbo\n"
)


async def test_a_csv_import_reports_bad_rows_by_line_and_imports_the_rest(crm: Crm):
    imported = await crm.http.post(
        "/integration/customers/import",
        content=IMPORT,
        headers={**INTEGRATION, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "rows": 5,
        "registered": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": [],
        "rejected": [
            {"line": 3, "field": "name", "problem": "a customer record needs a name"},
            {
                "line": 4,
                "field": "owner_employee_id",
                "problem": "'E404' is not an active employee on the roster",
            },
            {
                "line": 5,
                "field": "email",
                "problem": "email must be an e-mail address such as a@b.com",
            },
        ],
    }
    registered = await crm.published_of("CustomerRegistered")
    assert sorted(
        (e.payload["employee_id"], e.payload["completeness"], e.payload["source"])
        for e in registered
    ) == [("E1", 40, "import"), ("E2", 20, "import")]

    again = await crm.http.post(
        "/integration/customers/import", content=IMPORT, headers={**HR, "Content-Type": "text/csv"}
    )
    assert again.json()["registered"] == 0
    assert again.json()["unchanged"] == 2
    await send(
        crm,
        change(
            "customer",
            "ACC-5",
            1,
            {"owner_employee_id": "E2", "name": "Cargo Ltd", "city": "Xiamen"},
            source="csv",
        ),
    )
    third = await crm.http.post(
        "/integration/customers/import", content=IMPORT, headers={**HR, "Content-Type": "text/csv"}
    )
    assert third.json()["skipped"] == [
        {"line": 6, "external_id": "ACC-5", "reason": "already updated by the webhook (version 1)"}
    ]
    assert len(await crm.stored_events("CustomerRegistered")) == 2


async def test_an_all_or_nothing_import_with_bad_rows_stores_nothing(crm: Crm):
    refused = await crm.http.post(
        "/integration/customers/import",
        params={"all_or_nothing": "true"},
        content=IMPORT,
        headers={**INTEGRATION, "Content-Type": "text/csv"},
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_import"
    assert [r["line"] for r in refused.json()["rejected"]] == [3, 4, 5]
    assert await crm.stored_events() == []
    bad_header = await crm.http.post(
        "/integration/customers/import",
        content="id,owner,name\n1,E1,A\n",
        headers={**INTEGRATION, "Content-Type": "text/csv"},
    )
    assert bad_header.status_code == 422
    assert bad_header.json()["field"] == "header"
    employee = await crm.http.post(
        "/integration/customers/import",
        content=IMPORT,
        headers={**as_employee("E1"), "Content-Type": "text/csv"},
    )
    assert employee.status_code == 403
