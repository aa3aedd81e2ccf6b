"""Targets, goals and progress reports through the HTTP API (R-A3, R-B2.4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from daybook_reporting.domain.goals import goal_id_for, missed_progress_event_id
from daybook_shared.testing.auth import as_employee, as_supervisor

from .reporting_support import HR, Reporting, shanghai

MARCH_TARGET = {
    "team_id": "north",
    "metric": "sales_amount",
    "amount": {"amount": "100000.00", "currency": "CNY"},
    "period_start": "2026-03-02",
    "period_end": "2026-03-29",
}


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


async def set_target(
    reporting: Reporting, body: dict[str, Any] | None = None, headers: dict[str, str] = HR
) -> str:
    answer = await reporting.http.post("/targets", json=body or MARCH_TARGET, headers=headers)
    assert answer.status_code == 201, answer.text
    target_id: str = answer.json()["target_id"]
    return target_id


async def set_goal(
    reporting: Reporting,
    target_id: str,
    employee_id: str,
    amount: str,
    cadence: str = "weekly",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    answer = await reporting.http.post(
        f"/targets/{target_id}/goals",
        json={"employee_id": employee_id, "amount": cny(amount), "cadence": cadence},
        headers=headers or as_supervisor("S1"),
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def progress(period_start: str, amount: str = "15000.00", **overrides: Any) -> dict[str, Any]:
    body = {
        "period_start": period_start,
        "amount": cny(amount),
        "narrative": "Closed two renewals with the Pudong distributors",
        "next_period_plan": "Push the enterprise bundle to three hospital groups",
    }
    return body | overrides


async def test_goals_that_do_not_cover_the_target_are_shown_until_they_do(reporting: Reporting):
    target_id = await set_target(reporting)
    await set_goal(reporting, target_id, "E1", "60000.00")
    short = await set_goal(reporting, target_id, "E2", "30000.00", cadence="monthly")
    assert short["coverage"] == {
        "target_value": "100000.00",
        "allocated": "90000.00",
        "shortfall": "10000.00",
        "covered": False,
        "goal_count": 2,
    }
    overview = await reporting.http.get(f"/targets/{target_id}", headers=as_employee("E1"))
    assert overview.status_code == 200, overview.text
    assert overview.json()["coverage"]["shortfall"] == "10000.00"
    team = await reporting.team("S1", date(2026, 3, 2))
    [north] = team["targets"]
    assert (north["covered"], north["shortfall"]) == (False, "10000.00")

    covered = await set_goal(reporting, target_id, "E2", "40000.00", cadence="monthly")
    assert covered["coverage"]["covered"] is True
    assert covered["goal"]["revision"] == 2

    [target] = await reporting.published("CompanyTargetSet")
    assert target.payload == {
        "metric": "sales_amount",
        "amount": cny("100000.00"),
        "count": None,
        "target_id": target_id,
        "team_id": "north",
        "period_start": "2026-03-02",
        "period_end": "2026-03-29",
    }
    goals = await reporting.published("GoalSet")
    assert [
        (g.payload["employee_id"], g.payload["amount"]["amount"], g.payload["revision"])
        for g in goals
    ] == [("E1", "60000.00", 1), ("E2", "30000.00", 1), ("E2", "40000.00", 2)]
    e1 = goals[0].payload
    assert e1["goal_id"] == str(goal_id_for(UUID(target_id), "E1"))
    assert (e1["target_id"], e1["metric"], e1["period_start"], e1["period_end"]) == (
        target_id,
        "sales_amount",
        "2026-03-02",
        "2026-03-29",
    )
    assert (await reporting.team("S1", date(2026, 3, 2)))["targets"][0]["covered"] is True


async def test_targets_and_goals_refused_with_the_reason(reporting: Reporting):
    other_team = await reporting.http.post(
        "/targets", json=MARCH_TARGET, headers=as_supervisor("S2")
    )
    assert other_team.status_code == 403
    assert "team north" in other_team.json()["detail"]
    company_by_supervisor = await reporting.http.post(
        "/targets", json=MARCH_TARGET | {"team_id": None}, headers=as_supervisor("S1")
    )
    assert company_by_supervisor.status_code == 403
    wrong_unit = await reporting.http.post(
        "/targets", json=MARCH_TARGET | {"metric": "deals_won"}, headers=HR
    )
    assert wrong_unit.status_code == 422
    assert "takes a count" in wrong_unit.json()["detail"]
    backwards = await reporting.http.post(
        "/targets", json=MARCH_TARGET | {"period_end": "2026-03-01"}, headers=HR
    )
    assert backwards.status_code == 422
    assert "period_end" in backwards.json()["detail"]

    target_id = await set_target(reporting, headers=as_supervisor("S1"))
    outside = await reporting.http.post(
        f"/targets/{target_id}/goals", json={"employee_id": "E4", "amount": cny("1.00")}, headers=HR
    )
    assert outside.status_code == 422
    assert outside.json()["field"] == "employee_id"
    assert "not in team north" in outside.json()["detail"]
    unknown = await reporting.http.post(
        "/targets/00000000-0000-0000-0000-000000000000/goals",
        json={"employee_id": "E1", "amount": cny("1.00")},
        headers=HR,
    )
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "target_id"
    not_theirs = await reporting.http.post(
        f"/targets/{target_id}/goals",
        json={"employee_id": "E1", "amount": cny("1.00")},
        headers=as_supervisor("S2"),
    )
    assert not_theirs.status_code == 403
    dollars = await reporting.http.post(
        f"/targets/{target_id}/goals",
        json={"employee_id": "E1", "amount": {"amount": "5.00", "currency": "USD"}},
        headers=HR,
    )
    assert dollars.status_code == 422
    assert dollars.json()["field"] == "amount.currency"
    assert [e["event_type"] for e in await reporting.stored()] == ["CompanyTargetSet"]


async def test_an_employee_sets_their_own_goal_from_a_count_target(reporting: Reporting):
    target_id = await set_target(
        reporting,
        {
            "metric": "deals_won",
            "count": 12,
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
        },
    )
    answer = await reporting.http.post(
        f"/targets/{target_id}/goals",
        json={"employee_id": "E4", "count": 5},
        headers=as_employee("E4"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["coverage"]["shortfall"] == "7"
    [goal] = await reporting.published("GoalSet")
    assert (goal.payload["metric"], goal.payload["count"], goal.payload["team_id"]) == (
        "deals_won",
        5,
        None,
    )


async def test_weekly_and_monthly_progress(reporting: Reporting):
    target_id = await set_target(reporting)
    weekly = (await set_goal(reporting, target_id, "E1", "60000.00"))["goal"]
    monthly = (await set_goal(reporting, target_id, "E2", "40000.00", cadence="monthly"))["goal"]

    reporting.clock.set(shanghai(2026, 3, 6, 17, 0))
    week = await reporting.http.post(
        f"/goals/{weekly['goal_id']}/progress",
        json=progress("2026-03-02"),
        headers=as_employee("E1"),
    )
    assert week.status_code == 201, week.text
    assert (week.json()["period_end"], week.json()["on_time"]) == ("2026-03-08", True)

    reporting.clock.set(shanghai(2026, 3, 30, 8, 30))
    month = await reporting.http.post(
        f"/goals/{monthly['goal_id']}/progress",
        json=progress("2026-03-02", "41000.00"),
        headers=as_employee("E2"),
    )
    assert month.status_code == 201, month.text

    reports = await reporting.published("GoalProgressReported")
    assert [
        (
            r.payload["cadence"],
            r.payload["period_start"],
            r.payload["period_end"],
            r.payload["amount"]["amount"],
            r.payload["on_time"],
        )
        for r in reports
    ] == [
        ("weekly", "2026-03-02", "2026-03-08", "15000.00", True),
        ("monthly", "2026-03-02", "2026-03-29", "41000.00", True),
    ]
    assert datetime.fromisoformat(reports[0].payload["deadline"]) == shanghai(2026, 3, 9, 9, 0)
    assert reports[0].payload["next_period_plan"].startswith("Push the enterprise bundle")

    mine = await reporting.http.get("/employees/E2/goals", headers=as_employee("E2"))
    [goal] = mine.json()
    assert (goal["achieved"], goal["attainment"], goal["periods_reported"]) == (
        "41000.00",
        "1.0250",
        1,
    )
    team = await reporting.team("S1", date(2026, 3, 27))
    assert {g["employee_id"]: g["achieved"] for g in team["goals"]} == {
        "E1": "15000.00",
        "E2": "41000.00",
    }


async def test_missed_progress_report_is_recorded_at_its_deadline(reporting: Reporting):
    target_id = await set_target(reporting)
    goal = (await set_goal(reporting, target_id, "E1", "60000.00"))["goal"]
    reporting.clock.set(shanghai(2026, 3, 6, 17, 0))
    await reporting.http.post(
        f"/goals/{goal['goal_id']}/progress", json=progress("2026-03-02"), headers=as_employee("E1")
    )

    def sweep():
        return reporting.http.post("/sweeps/progress-reports", headers=HR)

    reporting.clock.set(shanghai(2026, 3, 16, 8, 59))
    assert (await sweep()).json() == {"recorded": 0}
    reporting.clock.set(shanghai(2026, 3, 16, 9, 0))
    assert (await sweep()).json() == {"recorded": 1}
    assert (await sweep()).json() == {"recorded": 0}

    [missed] = await reporting.published("GoalProgressReportMissed")
    assert missed.event_id == missed_progress_event_id(UUID(goal["goal_id"]), date(2026, 3, 9))
    assert (missed.payload["period_start"], missed.payload["period_end"]) == (
        "2026-03-09",
        "2026-03-15",
    )
    assert missed.occurred_at == shanghai(2026, 3, 16, 9, 0)
    [goal_view] = (await reporting.http.get("/employees/E1/goals", headers=HR)).json()
    assert (goal_view["periods_reported"], goal_view["periods_missed"]) == (1, 1)

    reporting.clock.set(shanghai(2026, 3, 16, 9, 30))
    late = await reporting.http.post(
        f"/goals/{goal['goal_id']}/progress", json=progress("2026-03-09"), headers=as_employee("E1")
    )
    assert late.status_code == 201
    assert late.json()["on_time"] is False


async def test_bad_progress_names_the_problem_and_stores_nothing(reporting: Reporting):
    target_id = await set_target(reporting)
    goal = (await set_goal(reporting, target_id, "E1", "60000.00"))["goal"]
    path = f"/goals/{goal['goal_id']}/progress"
    reporting.clock.set(shanghai(2026, 3, 6, 17, 0))

    unknown = await reporting.http.post(
        "/goals/00000000-0000-0000-0000-000000000001/progress",
        json=progress("2026-03-02"),
        headers=as_employee("E1"),
    )
    assert unknown.status_code == 404
    assert (unknown.json()["field"], "unknown goal" in unknown.json()["detail"]) == (
        "goal_id",
        True,
    )
    someone_elses = await reporting.http.post(
        path, json=progress("2026-03-02"), headers=as_employee("E2")
    )
    assert someone_elses.status_code == 403
    assert "belongs to E1" in someone_elses.json()["detail"]
    mid_week = await reporting.http.post(
        path, json=progress("2026-03-04"), headers=as_employee("E1")
    )
    assert mid_week.status_code == 422
    assert mid_week.json()["field"] == "period_start"
    not_begun = await reporting.http.post(
        path, json=progress("2026-03-09"), headers=as_employee("E1")
    )
    assert not_begun.status_code == 422
    assert "has not begun" in not_begun.json()["detail"]
    empty = await reporting.http.post(
        path, json=progress("2026-03-02", narrative=" "), headers=as_employee("E1")
    )
    assert (empty.status_code, empty.json()["field"]) == (422, "body.narrative")
    euros = await reporting.http.post(
        path,
        json=progress("2026-03-02") | {"amount": {"amount": "1.00", "currency": "EUR"}},
        headers=as_employee("E1"),
    )
    assert (euros.status_code, euros.json()["field"]) == (422, "amount.currency")
    assert await reporting.stored("GoalProgressReported") == []
