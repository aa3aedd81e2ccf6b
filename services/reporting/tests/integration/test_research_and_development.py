"""Market research (R-B2.3) and the development log (R-A6, R-B5) through the HTTP API."""

from __future__ import annotations

from daybook_shared.testing.auth import as_employee, as_supervisor

from .reporting_support import HR, Reporting


async def test_market_report_is_published_without_personal_data(reporting: Reporting):
    answer = await reporting.http.post(
        "/market-reports",
        json={
            "topic": "Mid-market CRM pricing in East China",
            "competitors": ["Acme Soft", "Globex", "Acme Soft"],
            "findings": "Acme cut list prices by 15%; Globex bundles onboarding for free.",
        },
        headers=as_employee("E1"),
    )
    assert answer.status_code == 201, answer.text
    [event] = await reporting.published("MarketReportSubmitted")
    assert event.payload["competitors"] == ["Acme Soft", "Globex"]
    assert set(event.payload) == {
        "report_id",
        "employee_id",
        "topic",
        "competitors",
        "findings",
        "submitted_at",
    }
    listed = await reporting.http.get("/employees/E1/market-reports", headers=as_supervisor("S1"))
    assert [r["topic"] for r in listed.json()] == ["Mid-market CRM pricing in East China"]
    assert (
        await reporting.http.get("/employees/E1/market-reports", headers=as_supervisor("S2"))
    ).status_code == 403


async def test_market_report_needs_topic_and_findings(reporting: Reporting):
    answer = await reporting.http.post(
        "/market-reports",
        json={"topic": "", "competitors": [], "findings": "x"},
        headers=as_employee("E1"),
    )
    assert (answer.status_code, answer.json()["field"]) == (422, "body.topic")
    assert await reporting.stored() == []


async def test_training_reading_mentoring_and_certifications_are_logged(reporting: Reporting):
    for kind, title, hours in [
        ("training", "Consultative selling workshop", "7.5"),
        ("reading", "The Challenger Sale", "6"),
        ("mentoring", "Shadowing S1 on enterprise calls", "2.25"),
    ]:
        answer = await reporting.http.post(
            "/development/activities",
            json={"kind": kind, "title": title, "hours": hours, "completed_on": "2026-03-01"},
            headers=as_employee("E1"),
        )
        assert answer.status_code == 201, answer.text
    certified = await reporting.http.post(
        "/development/certifications",
        json={
            "name": "Certified Sales Professional",
            "issuer": "NASP",
            "obtained_on": "2026-02-27",
            "expires_on": "2029-02-27",
        },
        headers=as_employee("E1"),
    )
    assert certified.status_code == 201, certified.text

    completed = await reporting.published("TrainingCompleted")
    assert [(e.payload["kind"], e.payload["hours"]) for e in completed] == [
        ("training", "7.5"),
        ("reading", "6"),
        ("mentoring", "2.25"),
    ]
    [certification] = await reporting.published("CertificationObtained")
    assert certification.payload["issuer"] == "NASP"
    log = (await reporting.http.get("/employees/E1/development", headers=HR)).json()
    assert log["hours_by_kind"] == {"mentoring": "2.25", "reading": "6.00", "training": "7.50"}
    assert log["certifications"] == 1


async def test_bad_development_entries_name_the_field_and_store_nothing(reporting: Reporting):
    cases = [
        (
            {"kind": "training", "title": "T", "hours": "0", "completed_on": "2026-03-01"},
            "body.hours",
        ),
        (
            {"kind": "webinar", "title": "T", "hours": "1", "completed_on": "2026-03-01"},
            "body.kind",
        ),
        (
            {"kind": "reading", "title": "T", "hours": "1", "completed_on": "2026-03-03"},
            "completed_on",
        ),
    ]
    for body, field in cases:
        answer = await reporting.http.post(
            "/development/activities", json=body, headers=as_employee("E1")
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    again = {"kind": "reading", "title": "Spin Selling", "hours": "3", "completed_on": "2026-03-01"}
    assert (
        await reporting.http.post("/development/activities", json=again, headers=as_employee("E1"))
    ).status_code == 201
    duplicate = await reporting.http.post(
        "/development/activities", json=again, headers=as_employee("E1")
    )
    assert duplicate.status_code == 409
    assert len(await reporting.stored("TrainingCompleted")) == 1
    by_hr = await reporting.http.post("/development/activities", json=again, headers=HR)
    assert by_hr.status_code == 403
