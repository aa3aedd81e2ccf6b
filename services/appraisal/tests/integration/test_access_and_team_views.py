"""Who sees what: own scorecard, a supervisor's team, hr everything; scoreboard and bands."""

from daybook_shared.contracts.hr import EmployeeTransferred
from daybook_shared.testing.auth import as_employee, as_supervisor

from .appraisal_support import HR, Appraisal, deal_won, rated, sales_goal, shanghai


async def test_scorecards_are_visible_to_the_employee_their_supervisor_and_hr(
    appraisal: Appraisal,
):
    await appraisal.open_november()
    path = "/appraisal/periods/2026-11/scorecards/{}"
    allowed = [
        ("E1", as_employee("E1")),
        ("E1", as_supervisor("S1")),
        ("E1", HR),
        ("E3", as_supervisor("S2")),
        ("E3", HR),
    ]
    for employee_id, headers in allowed:
        answer = await appraisal.http.get(path.format(employee_id), headers=headers)
        assert answer.status_code == 200, (employee_id, answer.text)
    refused = [("E2", as_employee("E1")), ("E3", as_supervisor("S1")), ("E1", as_supervisor("S2"))]
    for employee_id, headers in refused:
        answer = await appraisal.http.get(path.format(employee_id), headers=headers)
        assert answer.status_code == 403, (employee_id, answer.text)
    anonymous = await appraisal.http.get(path.format("E1"))
    assert anonymous.status_code == 401
    unknown = await appraisal.http.get(path.format("E9"), headers=HR)
    assert unknown.status_code == 404


async def test_a_supervisor_sees_their_teams_scoreboard_and_hr_sees_everyone(
    appraisal: Appraisal,
):
    await appraisal.open_november()
    sent = [
        await appraisal.publish(sales_goal("E1", "100000.00"), at=shanghai(2026, 11, 2, 9)),
        await appraisal.publish(deal_won("E1", "100000.00"), at=shanghai(2026, 11, 9, 9)),
        await appraisal.publish(rated("E1", 5), at=shanghai(2026, 11, 9, 10)),
        await appraisal.publish(sales_goal("E2", "100000.00"), at=shanghai(2026, 11, 2, 9)),
    ]
    await appraisal.consumed(*(e.event_id for e in sent))

    board = await appraisal.http.get(
        "/appraisal/periods/2026-11/scoreboard", headers=as_supervisor("S1")
    )
    assert board.status_code == 200, board.text
    rows = board.json()["rows"]
    # E1: everything with data in full but development, 5 of the 70 weight with data:
    # 100 - 7.14 = 92.86. E2: sales 0 of 30/55, punctuality 15/55, data upkeep 5/55: 36.36.
    assert [(r["employee_id"], r["score"], r["band"], r["status"]) for r in rows] == [
        ("E1", "92.86", "excellent", "provisional"),
        ("E2", "36.36", "poor", "provisional"),
    ]
    everyone = await appraisal.http.get("/appraisal/periods/2026-11/scoreboard", headers=HR)
    assert [r["employee_id"] for r in everyone.json()["rows"]] == ["E1", "E3", "E2"]
    south = await appraisal.http.get(
        "/appraisal/periods/2026-11/scoreboard?team_id=south", headers=HR
    )
    assert [r["employee_id"] for r in south.json()["rows"]] == ["E3"]

    bands = await appraisal.http.get(
        "/appraisal/periods/2026-11/bands", headers=as_supervisor("S1")
    )
    assert bands.json()["bands"] == {"excellent": 1, "good": 0, "adequate": 0, "poor": 1}
    all_bands = await appraisal.http.get("/appraisal/periods/2026-11/bands", headers=HR)
    assert all_bands.json()["total"] == 3

    employee = await appraisal.http.get(
        "/appraisal/periods/2026-11/scoreboard", headers=as_employee("E1")
    )
    assert employee.status_code == 403


async def test_a_transfer_moves_an_employee_to_the_new_supervisors_team(appraisal: Appraisal):
    await appraisal.open_november()
    moved = await appraisal.publish(
        EmployeeTransferred(
            employee_id="E2",
            team_id="south",
            supervisor_id="S2",
            effective_on=shanghai(2026, 11, 15, 0).date(),
        ),
    )
    await appraisal.consumed(moved.event_id)
    north = await appraisal.http.get(
        "/appraisal/periods/2026-11/scoreboard", headers=as_supervisor("S1")
    )
    south = await appraisal.http.get(
        "/appraisal/periods/2026-11/scoreboard", headers=as_supervisor("S2")
    )
    assert [r["employee_id"] for r in north.json()["rows"]] == ["E1"]
    assert sorted(r["employee_id"] for r in south.json()["rows"]) == ["E2", "E3"]


async def test_the_policy_is_readable_by_everyone(appraisal: Appraisal):
    listed = await appraisal.http.get("/appraisal/policies", headers=as_employee("E1"))
    assert listed.json()[0]["policy_version"] == "2026.1"
    assert listed.json()[0]["active"] is True
    text = await appraisal.http.get("/appraisal/policies/2026.1", headers=as_employee("E1"))
    assert text.status_code == 200
    assert 'policy_version: "2026.1"' in text.text
