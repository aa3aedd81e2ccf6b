"""Queries and who may read them; the roster as hr.> changes it."""

from datetime import date

from daybook_shared.contracts.hr import EmployeeLeft, EmployeeTransferred
from daybook_shared.testing.auth import as_employee, as_supervisor
from daybook_shared.testing.helpers import eventually

from .attendance_support import DEVICE, HR, MONDAY, utc


async def test_an_employees_month_counts_what_the_appraisal_counts(attendance):
    await attendance.assign_schedule("E1")
    await attendance.clock_in("E1", utc(2026, 3, 2, 1, 20))
    await attendance.clock_out("E1", utc(2026, 3, 2, 9, 0))
    await attendance.at(utc(2026, 3, 3, 16, 0))
    await attendance.http.post("/day-close", headers=HR)

    month = await attendance.http.get("/employees/E1/months/2026-03", headers=as_employee("E1"))
    assert month.status_code == 200, month.text
    body = month.json()
    assert [d["work_date"] for d in body["days"]] == ["2026-03-02", "2026-03-03"]
    assert body["totals"] == {
        "days_recorded": 2,
        "days_closed": 2,
        "worked_minutes": 460,
        "late_arrivals": 1,
        "late_arrivals_unexcused": 1,
        "late_minutes_unexcused": 20,
        "early_departures": 1,
        "early_departures_unexcused": 1,
        "absences": 1,
        "absences_unexcused": 1,
        "missing_clock_outs": 0,
    }
    assert body["days"][0]["punches"][0]["source"] == "web"


async def test_reads_are_for_oneself_ones_supervisor_and_hr(attendance):
    for headers in (as_employee("E1"), as_supervisor("S1"), HR):
        response = await attendance.http.get("/employees/E1/months/2026-03", headers=headers)
        assert response.status_code == 200, headers
    for headers in (as_employee("E2"), as_supervisor("S2"), DEVICE):
        response = await attendance.http.get("/employees/E1/days/2026-03-02", headers=headers)
        assert response.status_code == 403, headers
    unknown = await attendance.http.get("/employees/E9/months/2026-03", headers=HR)
    assert unknown.status_code == 404
    bad_month = await attendance.http.get("/employees/E1/months/2026-13", headers=HR)
    assert bad_month.status_code == 422
    assert (await attendance.http.get("/employees/E1/months/2026-03")).status_code == 401


async def test_a_supervisor_sees_their_teams_day_and_no_other(attendance):
    await attendance.assign_schedule("E1")
    await attendance.clock_in("E1", utc(2026, 3, 2, 1, 0))
    own = await attendance.http.get(
        "/supervisors/S1/team/days/2026-03-02", headers=as_supervisor("S1")
    )
    assert own.status_code == 200, own.text
    members = {m["employee_id"]: m for m in own.json()["members"]}
    assert set(members) == {"E1", "E2"}
    assert members["E1"]["day"]["first_clock_in"] == "2026-03-02T01:00:00+00:00"
    assert members["E2"]["day"] is None
    other = await attendance.http.get(
        "/supervisors/S2/team/days/2026-03-02", headers=as_supervisor("S1")
    )
    assert other.status_code == 403
    other_team = await attendance.http.get(
        "/teams/south/days/2026-03-02", headers=as_supervisor("S1")
    )
    assert other_team.status_code == 403
    by_team = await attendance.http.get("/teams/north/days/2026-03-02", headers=as_supervisor("S1"))
    assert {m["employee_id"] for m in by_team.json()["members"]} == {"E1", "E2"}
    everyone_south = await attendance.http.get("/teams/south/days/2026-03-02", headers=HR)
    assert {m["employee_id"] for m in everyone_south.json()["members"]} == {"S2", "E3"}


async def test_a_transfer_moves_the_approval_to_the_new_supervisor(attendance):
    await attendance.assign_schedule("E2")
    await attendance.at(utc(2026, 3, 2, 0, 0))
    asked = await attendance.http.post(
        "/employees/E2/early-leave-requests",
        json={"work_date": "2026-03-02", "leave_at": "2026-03-02T16:00:00+08:00", "reason": "x"},
        headers=as_employee("E2"),
    )
    await attendance.publish_hr(
        EmployeeTransferred(
            employee_id="E2", team_id="south", supervisor_id="S2", effective_on=date(2026, 3, 2)
        )
    )

    async def transferred() -> None:
        supervisor = await attendance.db.fetchval(
            "SELECT supervisor_id FROM attendance.roster WHERE employee_id = 'E2'"
        )
        assert supervisor == "S2"

    await eventually(transferred)
    request_id = asked.json()["request_id"]
    old = await attendance.http.post(f"/requests/{request_id}/approve", headers=as_supervisor("S1"))
    assert old.status_code == 403
    new = await attendance.http.post(f"/requests/{request_id}/reject", headers=as_supervisor("S2"))
    assert new.status_code == 200, new.text
    assert new.json()["events"] == ["EarlyLeaveRejected"]


async def test_no_punch_is_taken_for_someone_who_has_left(attendance):
    await attendance.assign_schedule("E1")
    await attendance.publish_hr(EmployeeLeft(employee_id="E1", left_on=MONDAY))

    async def left() -> None:
        left_on = await attendance.db.fetchval(
            "SELECT left_on FROM attendance.roster WHERE employee_id = 'E1'"
        )
        assert left_on == MONDAY

    await eventually(left)
    assert (await attendance.clock_in("E1", utc(2026, 3, 2, 1, 0))).status_code == 201
    tuesday = await attendance.clock_in("E1", utc(2026, 3, 3, 1, 0))
    assert tuesday.status_code == 422
    assert tuesday.json()["detail"] == "employee 'E1' left on 2026-03-02; 2026-03-03 is after that"
    await attendance.at(utc(2026, 3, 5, 16, 0))
    run = await attendance.http.post("/day-close", headers=HR)
    assert run.json()["days_closed"] == 1  # Monday only; nothing after leaving
