"""Daily reports through the HTTP API, on real PostgreSQL and NATS (R-A2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from daybook_reporting.bootstrap import build_app
from daybook_reporting.domain.daily_reports import missed_report_event_id
from daybook_shared.contracts.attendance import (
    HolidayDeclared,
    LeaveApproved,
    WorkScheduleAssigned,
)
from daybook_shared.contracts.hr import EmployeeLeft, EmployeeTransferred
from daybook_shared.kit.ids import derived_id
from daybook_shared.testing.auth import as_employee, as_supervisor
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app, serve_app_with_database

from .reporting_support import HR, MONDAY, ROSTER, SCHEDULER, START, Reporting, report, shanghai

TUESDAY_START = shanghai(2026, 3, 3, 9, 0)


async def test_report_on_time_is_routed_to_the_supervisor(reporting: Reporting):
    answer = await reporting.submit("E1", report(MONDAY))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["on_time"], body["revision"], body["supervisor_id"]) == (True, 1, "S1")
    [event] = await reporting.published("DailyReportSubmitted")
    assert event.payload["employee_id"] == "E1"
    assert event.payload["on_time"] is True
    assert datetime.fromisoformat(event.payload["deadline"]) == TUESDAY_START
    assert event.occurred_at == START
    assert event.actor_id == "user-E1"

    inbox = await reporting.team("S1", MONDAY)
    [mine] = [m for m in inbox["members"] if m["employee_id"] == "E1"]
    assert mine["status"] == "on_time"
    assert mine["report"]["challenges"] == "Pricing objections from procurement"
    assert "E1" not in inbox["missing"]
    assert set(inbox["missing"]) == {"E2", "E3"}


async def test_report_after_the_deadline_is_late_and_the_day_was_missed(reporting: Reporting):
    reporting.clock.set(TUESDAY_START + timedelta(hours=2))
    assert await reporting.sweep() >= 1
    answer = await reporting.submit("E1", report(MONDAY))
    assert answer.status_code == 201, answer.text
    assert answer.json()["on_time"] is False

    missed = [
        e
        for e in await reporting.published("DailyReportMissed")
        if e.payload["employee_id"] == "E1"
    ]
    [late] = await reporting.published("DailyReportSubmitted")
    assert [e.occurred_at for e in missed] == [TUESDAY_START]
    assert late.payload["on_time"] is False
    assert late.occurred_at == TUESDAY_START + timedelta(hours=2)
    assert (await reporting.member_on("S1", "E1", MONDAY))["status"] == "late"


async def test_missed_report_is_recorded_once_at_the_deadline(reporting: Reporting):
    assert await reporting.sweep() == 0
    reporting.clock.set(TUESDAY_START - timedelta(seconds=1))
    assert await reporting.sweep() == 0
    reporting.clock.set(TUESDAY_START)
    # E1, E2 (Shanghai) are due at 09:00 Shanghai; E3 (New York) and E4 is in another team.
    assert await reporting.sweep() == 3
    assert await reporting.sweep() == 0

    missed = await reporting.published("DailyReportMissed")
    assert sorted(e.payload["employee_id"] for e in missed) == ["E1", "E2", "E4"]
    [e1] = [e for e in missed if e.payload["employee_id"] == "E1"]
    assert e1.event_id == missed_report_event_id("E1", MONDAY)
    assert e1.occurred_at == TUESDAY_START
    assert e1.payload["supervisor_id"] == "S1"
    member = await reporting.member_on("S1", "E1", MONDAY)
    assert member["status"] == "missed"

    # New York's Tuesday starts at 09:00 there: 22:00 in Shanghai.
    reporting.clock.set(datetime(2026, 3, 3, 14, 0, tzinfo=UTC))
    assert await reporting.sweep() == 1
    assert len(await reporting.published("DailyReportMissed")) == 4


async def test_two_replicas_sweeping_at_once_record_each_day_once(
    reporting: Reporting, settings, clock
):
    clock.set(shanghai(2026, 3, 6, 12, 0))  # Friday: Monday to Thursday are due
    async with serve_app(build_app(settings, clock=clock)) as second:
        answers = await asyncio.gather(
            reporting.http.post("/sweeps/daily-reports", headers=HR),
            second.post("/sweeps/daily-reports", headers=HR),
            reporting.http.post("/sweeps/daily-reports", headers=HR),
        )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    # E1, E2, E4 for four days; E3 (New York) for Monday to Wednesday.
    assert sum(a.json()["recorded"] for a in answers) == 15
    missed = await reporting.published("DailyReportMissed")
    assert len(missed) == 15
    assert len({e.event_id for e in missed}) == 15


async def test_no_report_is_demanded_on_leave_holiday_or_weekend(reporting: Reporting):
    await reporting.publish(
        "attendance", HolidayDeclared(holiday_date=date(2026, 3, 3), name="Company foundation day")
    )
    await reporting.publish(
        "attendance",
        LeaveApproved(
            request_id=UUID(int=1),
            employee_id="E1",
            decided_by="S1",
            decided_at=START,
            first_day=date(2026, 3, 4),
            last_day=date(2026, 3, 4),
            leave_type="annual",
        ),
    )
    # E2 works Monday to Thursday.
    await reporting.publish(
        "attendance",
        WorkScheduleAssigned(
            schedule_id=UUID(int=2),
            employee_id="E2",
            workdays=("mon", "tue", "wed", "thu"),
            starts_at=time(9, 0),
            ends_at=time(18, 0),
            late_grace_minutes=5,
            early_grace_minutes=5,
            timezone="Asia/Shanghai",
            effective_from=MONDAY,
        ),
    )

    async def calendar_known() -> None:
        assert (await reporting.member_on("S1", "E1", date(2026, 3, 3))).get("reason") == "holiday"
        assert (await reporting.member_on("S1", "E1", date(2026, 3, 4))).get("reason") == "on_leave"
        assert (await reporting.member_on("S1", "E2", date(2026, 3, 6))).get("reason") == "weekend"

    await eventually(calendar_known)
    reporting.clock.set(shanghai(2026, 3, 9, 12, 0))
    for day, reason in [
        (date(2026, 3, 3), "a holiday"),
        (date(2026, 3, 4), "approved leave"),
        (date(2026, 3, 7), "not one of their workdays"),
    ]:
        refused = await reporting.submit("E1", report(day))
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "report_date"
        assert reason in refused.json()["detail"]
    refused = await reporting.submit("E2", report(date(2026, 3, 6)))
    assert refused.status_code == 422
    assert "not one of their workdays" in refused.json()["detail"]

    await reporting.sweep()
    missed = await reporting.published("DailyReportMissed")
    days = {(e.payload["employee_id"], e.payload["report_date"]) for e in missed}
    assert {d for who, d in days if who == "E1"} == {"2026-03-02", "2026-03-05", "2026-03-06"}
    assert {d for who, d in days if who == "E2"} == {"2026-03-02", "2026-03-04", "2026-03-05"}
    # Monday's report fell due at the next working day: Tuesday is a holiday, so Wednesday for
    # E2, and Thursday for E1 (on leave on Wednesday).
    deadlines = {
        (e.payload["employee_id"], e.payload["report_date"]): e.occurred_at for e in missed
    }
    assert deadlines[("E1", "2026-03-02")] == shanghai(2026, 3, 5, 9, 0)
    assert deadlines[("E2", "2026-03-02")] == shanghai(2026, 3, 4, 9, 0)
    assert deadlines[("E2", "2026-03-05")] == shanghai(2026, 3, 9, 9, 0)
    assert await reporting.stored("DailyReportSubmitted") == []


async def test_amend_before_the_deadline_keeps_history_after_is_refused(reporting: Reporting):
    first = await reporting.submit("E1", report(MONDAY))
    assert first.status_code == 201, first.text
    reporting.clock.set(TUESDAY_START - timedelta(minutes=30))
    amended = await reporting.submit("E1", report(MONDAY, progress="Three demos booked"))
    assert amended.status_code == 201, amended.text
    assert amended.json()["revision"] == 2

    reporting.clock.set(TUESDAY_START + timedelta(minutes=30))
    refused = await reporting.submit("E1", report(MONDAY, progress="Four demos booked"))
    assert refused.status_code == 409, refused.text
    assert "can no longer be amended" in refused.json()["detail"]

    history = await reporting.http.get(
        "/employees/E1/daily-reports/2026-03-02", headers=as_supervisor("S1")
    )
    assert history.status_code == 200, history.text
    revisions = history.json()["revisions"]
    assert [(r["revision"], r["progress"]) for r in revisions] == [
        (1, "Two demos booked for Thursday"),
        (2, "Three demos booked"),
    ]
    submitted = await reporting.published("DailyReportSubmitted")
    assert [e.payload["revision"] for e in submitted] == [1, 2]
    listed = await reporting.http.get("/employees/E1/daily-reports", headers=as_employee("E1"))
    [row] = listed.json()
    assert (row["revision"], row["progress"], row["status"]) == (2, "Three demos booked", "on_time")


async def test_deadline_follows_each_employees_timezone(reporting: Reporting):
    # Before Monday has begun in New York (Sunday 22:00 there), its report cannot be written.
    reporting.clock.set(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    early = await reporting.submit("E3", report(MONDAY))
    assert early.status_code == 422
    assert "has not begun" in early.json()["detail"]

    # 13:30 UTC on Tuesday: 08:30 in New York (before the 09:00 start), 21:30 in Shanghai.
    reporting.clock.set(datetime(2026, 3, 3, 13, 30, tzinfo=UTC))
    new_york = await reporting.submit("E3", report(MONDAY))
    shanghai_seller = await reporting.submit("E2", report(MONDAY))
    assert new_york.json()["on_time"] is True
    assert datetime.fromisoformat(new_york.json()["deadline"]) == datetime(
        2026, 3, 3, 14, 0, tzinfo=UTC
    )
    assert shanghai_seller.json()["on_time"] is False


async def test_supervisor_reviews_their_team_only(reporting: Reporting):
    await reporting.submit("E1", report(MONDAY))
    path = "/employees/E1/daily-reports/2026-03-02/reviews"
    comment = {"comment": "Good lead on procurement; send the case study"}

    other = await reporting.http.post(path, json=comment, headers=as_supervisor("S2"))
    assert other.status_code == 403, other.text
    assert "not the direct supervisor" in other.json()["detail"]
    own = await reporting.http.post(path, json=comment, headers=as_supervisor("S1"))
    assert own.status_code == 201, own.text
    by_author = await reporting.http.post(path, json=comment, headers=as_employee("E1"))
    assert by_author.status_code == 403

    [reviewed] = await reporting.published("DailyReportReviewed")
    assert (reviewed.payload["reviewer_id"], reviewed.payload["revision"]) == ("S1", 1)
    member = await reporting.member_on("S1", "E1", MONDAY)
    assert (member["report"]["reviews"], member["report"]["last_review"]) == (
        1,
        "Good lead on procurement; send the case study",
    )


async def test_reading_another_teams_reports_is_forbidden(reporting: Reporting):
    await reporting.submit("E1", report(MONDAY))
    for path in (
        "/employees/E1/daily-reports",
        "/employees/E1/daily-reports/2026-03-02",
        "/employees/E1/goals",
        "/employees/E1/development",
    ):
        denied = await reporting.http.get(path, headers=as_supervisor("S2"))
        assert denied.status_code == 403, (path, denied.text)
        assert denied.json()["error"] == "forbidden"
        peer = await reporting.http.get(path, headers=as_employee("E2"))
        assert peer.status_code == 403, path
        assert (await reporting.http.get(path, headers=as_supervisor("S1"))).status_code == 200
        assert (await reporting.http.get(path, headers=HR)).status_code == 200
    team = await reporting.http.get("/team?supervisor_id=S1", headers=as_supervisor("S2"))
    assert team.status_code == 403
    assert (await reporting.http.get("/team?supervisor_id=S1", headers=HR)).status_code == 200
    # Whether someone exists is not told to those who may not read them.
    unknown = await reporting.http.get("/employees/X9/daily-reports", headers=as_supervisor("S2"))
    assert unknown.status_code == 403
    assert (await reporting.http.get("/employees/X9/daily-reports", headers=HR)).status_code == 404


async def test_bad_input_names_the_problem_and_stores_nothing(reporting: Reporting):
    for field, body in [
        ("challenges", report(MONDAY, challenges="   ")),
        ("solutions", report(MONDAY, solutions="")),
        ("work", report(MONDAY, work="x" * 4001)),
    ]:
        answer = await reporting.submit("E1", body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == f"body.{field}"
        assert field in answer.json()["detail"]
    missing = await reporting.submit(
        "E1", {"report_date": "2026-03-02", "work": "w", "progress": "p", "challenges": "c"}
    )
    assert missing.status_code == 422
    assert missing.json()["field"] == "body.solutions"
    review_nothing = await reporting.http.post(
        "/employees/E1/daily-reports/2026-03-02/reviews",
        json={"comment": "?"},
        headers=as_supervisor("S1"),
    )
    assert review_nothing.status_code == 404
    assert "no report" in review_nothing.json()["detail"]
    assert await reporting.stored() == []
    assert (
        await reporting.http.get("/employees/E1/daily-reports", headers=as_employee("E1"))
    ).json() == []


async def test_a_retried_submission_is_stored_once(reporting: Reporting):
    first = await reporting.submit("E1", report(MONDAY), **{"Idempotency-Key": "r-1"})
    again = await reporting.submit("E1", report(MONDAY), **{"Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(await reporting.stored("DailyReportSubmitted")) == 1


async def test_the_background_sweep_records_missed_reports(
    settings, clock, database_url, js, namespace
):
    background = settings.model_copy(update={"run_sweeps": True, "sweep_interval_s": 0.05})
    clock.set(TUESDAY_START + timedelta(minutes=1))
    app = build_app(background, clock=clock)
    async with serve_app_with_database(app, database_url) as (http, db):
        service = Reporting(http, clock, namespace, js, db)
        for hired in ROSTER:
            await service.publish("hr", hired)

        async def missed_recorded() -> None:
            ids = {r["event_id"] for r in await service.stored("DailyReportMissed")}
            assert derived_id("DailyReportMissed", "E1", "2026-03-02") in ids

        await eventually(missed_recorded)


async def test_transfers_route_reports_and_leaving_ends_the_demand(reporting: Reporting):
    await reporting.publish(
        "hr",
        EmployeeTransferred(
            employee_id="E2", team_id="south", supervisor_id="S2", effective_on=date(2026, 3, 3)
        ),
    )
    await reporting.publish("hr", EmployeeLeft(employee_id="E1", left_on=date(2026, 3, 4)))
    # A late copy of the original hiring must not undo the transfer.
    [hired_e2] = [h for h in ROSTER if h.employee_id == "E2"]
    await reporting.publish("hr", hired_e2)

    async def roster_moved() -> None:
        denied = await reporting.http.get(
            "/employees/E2/daily-reports", headers=as_supervisor("S1")
        )
        assert denied.status_code == 403
        allowed = await reporting.http.get(
            "/employees/E2/daily-reports", headers=as_supervisor("S2")
        )
        assert allowed.status_code == 200
        assert (await reporting.member_on("S1", "E1", date(2026, 3, 4))).get("reason") == (
            "not_employed"
        )

    await eventually(roster_moved)
    answer = await reporting.submit("E2", report(MONDAY))
    assert answer.json()["supervisor_id"] == "S2"
    reporting.clock.set(shanghai(2026, 3, 9, 12, 0))
    await reporting.sweep()
    missed_e1 = [
        e.payload["report_date"]
        for e in await reporting.published("DailyReportMissed")
        if e.payload["employee_id"] == "E1"
    ]
    assert missed_e1 == ["2026-03-02", "2026-03-03"]


async def test_leave_or_holiday_granted_after_the_deadline_withdraws_the_missed_record(
    reporting: Reporting,
):
    # Monday and Tuesday are due in Shanghai (E1, E2, E4); in New York only Monday (E3).
    reporting.clock.set(shanghai(2026, 3, 4, 10, 0))
    assert await reporting.sweep() == 7
    # Sick leave for Monday, approved on Wednesday; Tuesday declared a holiday afterwards.
    await reporting.publish(
        "attendance",
        LeaveApproved(
            request_id=UUID(int=7),
            employee_id="E1",
            decided_by="S1",
            decided_at=shanghai(2026, 3, 4, 10, 0),
            first_day=MONDAY,
            last_day=MONDAY,
            leave_type="sick",
        ),
    )
    await reporting.publish(
        "attendance", HolidayDeclared(holiday_date=date(2026, 3, 3), name="Typhoon closure")
    )

    async def calendar_known() -> None:
        assert (await reporting.member_on("S1", "E1", MONDAY)).get("reason") == "on_leave"
        assert (await reporting.member_on("S1", "E2", date(2026, 3, 3))).get("reason") == "holiday"

    await eventually(calendar_known)

    async def withdrawn_all() -> None:
        answer = await reporting.http.post("/sweeps/daily-reports", headers=SCHEDULER)
        assert answer.status_code == 200
        assert len(await reporting.stored("DailyReportMissedWithdrawn")) == 4

    await eventually(withdrawn_all)
    again = await reporting.http.post("/sweeps/daily-reports", headers=SCHEDULER)
    assert again.json() == {"recorded": 0, "withdrawn": 0}

    missed = {
        (e.payload["employee_id"], e.payload["report_date"]): e
        for e in await reporting.published("DailyReportMissed")
    }
    withdrawals = await reporting.published("DailyReportMissedWithdrawn")
    named = {(w.payload["employee_id"], w.payload["report_date"]): w for w in withdrawals}
    assert set(named) == {
        ("E1", "2026-03-02"),
        ("E1", "2026-03-03"),
        ("E2", "2026-03-03"),
        ("E4", "2026-03-03"),
    }
    sick = named[("E1", "2026-03-02")]
    assert sick.payload["withdrawn_event_id"] == str(missed[("E1", "2026-03-02")].event_id)
    assert sick.payload["day_status"] == "on_leave"
    assert sick.occurred_at == missed[("E1", "2026-03-02")].occurred_at
    assert named[("E2", "2026-03-03")].payload["day_status"] == "holiday"
    listed = await reporting.http.get("/employees/E2/daily-reports", headers=HR)
    assert {r["report_date"]: r["status"] for r in listed.json()} == {
        "2026-03-02": "missed",
        "2026-03-03": "excused",
    }


async def test_one_employee_the_sweep_cannot_handle_does_not_hold_up_the_others(
    reporting: Reporting,
):
    # A row no projection would write (an unknown zone): its sweep fails, the others go on.
    await reporting.db.execute(
        "INSERT INTO reporting.roster (employee_id, team_id, supervisor_id, role, timezone, "
        "hired_on, assigned_on) VALUES ('A0', 'north', 'S1', 'salesperson', 'Mars/Olympus', "
        "$1, $1)",
        MONDAY,
    )
    reporting.clock.set(TUESDAY_START)
    assert await reporting.sweep() == 3
    missed = await reporting.published("DailyReportMissed")
    assert sorted(e.payload["employee_id"] for e in missed) == ["E1", "E2", "E4"]
