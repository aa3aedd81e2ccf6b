from datetime import timedelta

from daybook_shared.testing.auth import as_employee, as_supervisor

from .crm_support import HR, INTEGRATION, Crm


async def test_customers_are_registered_updated_and_reassigned_as_ids_and_facts(crm: Crm):
    registered = await crm.http.post(
        "/customers",
        json={"name": "Acme Trading", "email": "buyer@acme.example", "phone": "+86 21 5555 0100"},
        headers=as_employee("E1"),
    )
    assert registered.status_code == 201, registered.text
    customer_id = registered.json()["customer_id"]
    assert registered.json()["completeness"] == 30
    assert registered.json()["owner_employee_id"] == "E1"

    updated = await crm.http.patch(
        f"/customers/{customer_id}",
        json={"company": "Acme Ltd", "phone": None},
        headers=as_employee("E1"),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["recorded"] == ["CustomerRecordUpdated"]
    unchanged = await crm.http.patch(
        f"/customers/{customer_id}", json={"company": "Acme Ltd"}, headers=as_employee("E1")
    )
    assert unchanged.json()["recorded"] == []

    by_employee = await crm.http.post(
        f"/customers/{customer_id}/reassign",
        json={"new_owner_employee_id": "E2"},
        headers=as_employee("E1"),
    )
    assert by_employee.status_code == 403
    to_other_team = await crm.http.post(
        f"/customers/{customer_id}/reassign",
        json={"new_owner_employee_id": "E3"},
        headers=as_supervisor("S1"),
    )
    assert to_other_team.status_code == 403
    reassigned = await crm.http.post(
        f"/customers/{customer_id}/reassign",
        json={"new_owner_employee_id": "E2"},
        headers=as_supervisor("S1"),
    )
    assert reassigned.status_code == 200, reassigned.text

    events = await crm.published()
    assert [(e.event_type, e.payload) for e in events] == [
        (
            "CustomerRegistered",
            {
                "customer_id": customer_id,
                "employee_id": "E1",
                "completeness": 30,
                "source": "manual",
            },
        ),
        (
            "CustomerRecordUpdated",
            {
                "customer_id": customer_id,
                "employee_id": "E1",
                "completeness": 30,
                "previous_completeness": 30,
                "changed_fields": ["company", "phone"],
                "source": "manual",
            },
        ),
        (
            "CustomerReassigned",
            {
                "customer_id": customer_id,
                "employee_id": "E2",
                "previous_employee_id": "E1",
                "completeness": 30,
                "source": "manual",
            },
        ),
    ]
    assert events[0].actor_id == "user-E1"
    assert events[2].actor_id == "user-S1"

    details = await crm.http.get(f"/customers/{customer_id}", headers=as_employee("E2"))
    assert details.json()["details"] == {
        "name": "Acme Trading",
        "email": "buyer@acme.example",
        "company": "Acme Ltd",
    }


async def test_an_employee_reading_another_s_customer_is_refused_and_the_attempt_audited(crm: Crm):
    customer_id = await crm.register("E1")
    refused = await crm.http.get(f"/customers/{customer_id}", headers=as_employee("E2"))
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    other_team = await crm.http.get(f"/customers/{customer_id}", headers=as_supervisor("S2"))
    assert other_team.status_code == 403
    for allowed in (as_employee("E1"), as_supervisor("S1"), HR):
        answer = await crm.http.get(f"/customers/{customer_id}", headers=allowed)
        assert answer.status_code == 200, answer.text
        assert answer.json()["details"]["name"] == "Acme Trading"

    not_hr = await crm.http.get("/audit", headers=as_supervisor("S1"))
    assert not_hr.status_code == 403
    audit = await crm.http.get("/audit", params={"customer_id": customer_id}, headers=HR)
    assert audit.status_code == 200
    entries = sorted(
        (e["actor_subject"], e["actor_role"], e["action"], e["outcome"])
        for e in audit.json()["entries"]
    )
    assert entries == [
        ("hr-officer", "hr", "read_customer", "allowed"),
        ("user-E1", "employee", "read_customer", "allowed"),
        ("user-E2", "employee", "read_customer", "denied"),
        ("user-S1", "supervisor", "read_customer", "allowed"),
        ("user-S2", "supervisor", "read_customer", "denied"),
    ]
    assert all(e["at"] == crm.clock.now().isoformat() for e in audit.json()["entries"])
    denied = await crm.http.get(
        "/audit", params={"actor": "user-E2", "outcome": "denied"}, headers=HR
    )
    assert [e["target"] for e in denied.json()["entries"]] == [customer_id]


async def test_lists_and_exports_follow_access_and_are_audited(crm: Crm):
    first = await crm.register("E1", name="First Buyer", email="first@buyer.example")
    second = await crm.register("E2", name="Second Buyer")
    await crm.register("E3", name="Southern Buyer")

    own = await crm.http.get("/employees/E1/customers", headers=as_employee("E1"))
    assert own.status_code == 200
    assert [c["customer_id"] for c in own.json()["customers"]] == [first]
    others = await crm.http.get("/employees/E2/customers", headers=as_employee("E1"))
    assert others.status_code == 403
    team = await crm.http.get("/customers", headers=as_supervisor("S1"))
    assert sorted(c["customer_id"] for c in team.json()["customers"]) == sorted([first, second])
    everyone = await crm.http.get("/customers", headers=HR)
    assert len(everyone.json()["customers"]) == 3

    exported = await crm.http.get(
        "/customers/export", params={"team_id": "north"}, headers=as_supervisor("S1")
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("customer_id,owner_employee_id,name,company")
    assert len(lines) == 3
    assert "first@buyer.example" in exported.text
    south = await crm.http.get(
        "/customers/export", params={"team_id": "south"}, headers=as_supervisor("S1")
    )
    assert south.status_code == 403
    integration = await crm.http.get("/customers/export", headers=INTEGRATION)
    assert integration.text.splitlines()[1:] == []

    audit = (await crm.http.get("/audit", headers=HR)).json()["entries"]
    summary = sorted(
        (e["actor_subject"], e["action"], e["target"], e["outcome"], e["record_count"])
        for e in audit
    )
    assert summary == [
        ("crm-sync", "export_customers", "visible", "allowed", 0),
        ("hr-officer", "list_customers", "visible", "allowed", 3),
        ("user-E1", "list_customers", "employee:E1", "allowed", 1),
        ("user-E1", "list_customers", "employee:E2", "denied", 0),
        ("user-S1", "export_customers", "team:north", "allowed", 2),
        ("user-S1", "export_customers", "team:south", "denied", 0),
        ("user-S1", "list_customers", "visible", "allowed", 2),
    ]


async def test_bad_customer_input_is_refused_by_field_and_stores_nothing(crm: Crm):
    bad_email = await crm.http.post(
        "/customers", json={"name": "A", "email": "nope"}, headers=as_employee("E1")
    )
    assert bad_email.status_code == 422
    assert bad_email.json()["field"] == "email"
    no_name = await crm.http.post(
        "/customers", json={"email": "a@b.example"}, headers=as_employee("E1")
    )
    assert no_name.status_code == 422
    assert no_name.json()["field"] == "name"
    unknown_owner = await crm.http.post(
        "/customers", json={"name": "A", "owner_employee_id": "E99"}, headers=HR
    )
    assert unknown_owner.status_code == 422
    assert unknown_owner.json()["field"] == "owner_employee_id"
    for someone_else in ("E2", "E3"):
        answer = await crm.http.post(
            "/customers",
            json={"name": "A", "owner_employee_id": someone_else},
            headers=as_employee("E1"),
        )
        assert answer.status_code == 403
    extra = await crm.http.post(
        "/customers", json={"name": "A", "shoe_size": 9}, headers=as_employee("E1")
    )
    assert extra.status_code == 422
    no_token = await crm.http.post("/customers", json={"name": "A"})
    assert no_token.status_code == 401
    assert await crm.stored_events() == []
    assert await crm.db.fetchval("SELECT count(*) FROM crm.customers") == 0


async def test_interactions_are_logged_without_their_notes(crm: Crm):
    customer_id = await crm.register("E1")
    crm.clock.advance(timedelta(hours=1))
    logged = await crm.http.post(
        f"/customers/{customer_id}/interactions",
        json={"channel": "visit", "duration_minutes": 45, "notes": "Discussed the Q1 order"},
        headers=as_employee("E1"),
    )
    assert logged.status_code == 201, logged.text
    forbidden = await crm.http.post(
        f"/customers/{customer_id}/interactions",
        json={"channel": "call"},
        headers=as_employee("E3"),
    )
    assert forbidden.status_code == 403
    [event] = await crm.published_of("InteractionLogged")
    assert event.payload == {
        "interaction_id": logged.json()["interaction_id"],
        "customer_id": customer_id,
        "employee_id": "E1",
        "channel": "visit",
        "duration_minutes": 45,
    }
    details = (await crm.http.get(f"/customers/{customer_id}", headers=as_employee("E1"))).json()
    assert details["last_maintained_at"] == crm.clock.now().isoformat()
    assert details["recent_interactions"][0]["notes"] == "Discussed the Q1 order"


async def test_owners_of_stale_records_are_recorded_once_a_day(crm: Crm):
    stale_one = await crm.register("E1", name="Old Buyer")
    await crm.register("E1", name="Fresh Buyer")
    kept = await crm.register("E2", name="Kept Buyer")
    crm.clock.advance(timedelta(days=20))
    fresh = (await crm.http.get("/employees/E1/customers", headers=as_employee("E1"))).json()
    fresh_id = next(c["customer_id"] for c in fresh["customers"] if c["name"] == "Fresh Buyer")
    await crm.http.patch(
        f"/customers/{fresh_id}", json={"city": "Shanghai"}, headers=as_employee("E1")
    )
    crm.clock.advance(timedelta(days=11))
    await crm.http.post(
        f"/customers/{kept}/interactions", json={"channel": "call"}, headers=as_employee("E2")
    )

    assert (
        await crm.http.post("/sweeps/stale-records", headers=as_employee("E1"))
    ).status_code == 403
    first = await crm.http.post("/sweeps/stale-records", headers=HR)
    assert first.json() == {"owners_recorded": 1}
    again = await crm.http.post("/sweeps/stale-records", headers=INTEGRATION)
    assert again.json() == {"owners_recorded": 0}

    [event] = await crm.published_of("CustomerRecordsStale")
    assert event.payload == {
        "employee_id": "E1",
        "as_of": "2027-01-01",
        "threshold_days": 30,
        "stale_customer_ids": [stale_one],
        "stale_count": 1,
        "owned_count": 2,
    }
    crm.clock.advance(timedelta(days=1))
    next_day = await crm.http.post("/sweeps/stale-records", headers=HR)
    assert next_day.json() == {"owners_recorded": 1}
