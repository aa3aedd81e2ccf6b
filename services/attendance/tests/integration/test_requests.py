"""Late-arrival, early-leave and leave requests, decided by the employee's own supervisor (R-A1)."""

from datetime import date

from daybook_shared.testing.auth import as_employee, as_supervisor

from .attendance_support import HR, MONDAY, utc


async def ask_late(attendance, employee_id, *, at, expected_arrival, work_date=MONDAY):
    await attendance.at(at)
    response = await attendance.http.post(
        f"/employees/{employee_id}/late-arrival-requests",
        json={
            "work_date": work_date.isoformat(),
            "expected_arrival": expected_arrival,
            "reason": "train delayed",
        },
        headers=as_employee(employee_id),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def decide(attendance, request_id, supervisor_id, *, at, approve=True):
    await attendance.at(at)
    verb = "approve" if approve else "reject"
    return await attendance.http.post(
        f"/requests/{request_id}/{verb}",
        json={"note": "ok"},
        headers=as_supervisor(supervisor_id),
    )


async def test_a_request_made_after_the_start_is_kept_but_does_not_excuse(attendance):
    await attendance.assign_schedule("E1")
    await attendance.clock_in("E1", utc(2026, 3, 2, 1, 30))
    asked = await ask_late(
        attendance, "E1", at=utc(2026, 3, 2, 1, 40), expected_arrival="2026-03-02T09:30:00+08:00"
    )
    assert asked["in_advance"] is False
    approved = await decide(attendance, asked["request_id"], "S1", at=utc(2026, 3, 2, 2, 0))
    assert approved.status_code == 200, approved.text
    assert approved.json()["events"] == ["LateArrivalApproved"]

    [decision] = await attendance.published("LateArrivalApproved")
    assert decision.payload["in_advance"] is False
    assert decision.payload["decided_by"] == "S1"
    [late] = await attendance.published("LateArrivalRecorded")
    assert late.payload["excused"] is False
    assert await attendance.published("AttendanceFactWithdrawn") == []


async def test_an_approval_arriving_after_the_punch_excuses_by_compensation(attendance):
    await attendance.assign_schedule("E1")
    asked = await ask_late(
        attendance, "E1", at=utc(2026, 3, 2, 0, 30), expected_arrival="2026-03-02T10:00:00+08:00"
    )
    assert asked["in_advance"] is True
    await attendance.clock_in("E1", utc(2026, 3, 2, 1, 30))
    approved = await decide(attendance, asked["request_id"], "S1", at=utc(2026, 3, 2, 2, 0))
    assert approved.json()["events"] == [
        "LateArrivalApproved",
        "AttendanceFactWithdrawn",
        "LateArrivalRecorded",
    ]

    unexcused, excused = await attendance.published("LateArrivalRecorded")
    [withdrawn] = await attendance.published("AttendanceFactWithdrawn")
    assert unexcused.payload["excused"] is False
    assert excused.payload["excused"] is True
    assert excused.payload["excused_by_request_id"] == asked["request_id"]
    assert withdrawn.payload["withdrawn_event_id"] == str(unexcused.event_id)
    assert withdrawn.payload["superseded_by_event_id"] == str(excused.event_id)
    assert withdrawn.payload["cause"] == "request_decided"
    day = await attendance.day("E1", MONDAY)
    assert (day["day"]["late_minutes"], day["day"]["late_excused"]) == (30, True)
    assert day["requests"][0]["status"] == "approved"


async def test_a_supervisor_of_another_team_may_not_approve(attendance):
    await attendance.assign_schedule("E1")
    asked = await ask_late(
        attendance, "E1", at=utc(2026, 3, 2, 0, 30), expected_arrival="2026-03-02T10:00:00+08:00"
    )
    stored_before = await attendance.stored_count()
    refused = await decide(attendance, asked["request_id"], "S2", at=utc(2026, 3, 2, 0, 40))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "'S2' is not the supervisor of 'E1'"
    as_employee_self = await attendance.http.post(
        f"/requests/{asked['request_id']}/approve", headers=as_employee("E1")
    )
    assert as_employee_self.status_code == 403
    assert await attendance.stored_count() == stored_before

    pending = await attendance.http.get(
        "/supervisors/S1/pending-requests", headers=as_supervisor("S1")
    )
    assert [r["request_id"] for r in pending.json()["requests"]] == [asked["request_id"]]
    others = await attendance.http.get(
        "/supervisors/S1/pending-requests", headers=as_supervisor("S2")
    )
    assert others.status_code == 403
    assert (
        await attendance.http.get("/supervisors/S2/pending-requests", headers=as_supervisor("S2"))
    ).json()["requests"] == []


async def test_an_approved_early_leave_asked_before_leaving_excuses_the_early_departure(
    attendance,
):
    await attendance.assign_schedule("E1")
    await attendance.clock_in("E1", utc(2026, 3, 2, 1, 0))
    await attendance.at(utc(2026, 3, 2, 6, 0))
    asked = await attendance.http.post(
        "/employees/E1/early-leave-requests",
        json={
            "work_date": "2026-03-02",
            "leave_at": "2026-03-02T16:00:00+08:00",
            "reason": "clinic",
        },
        headers=as_employee("E1"),
    )
    assert asked.status_code == 201, asked.text
    await decide(attendance, asked.json()["request_id"], "S1", at=utc(2026, 3, 2, 6, 30))
    await attendance.clock_out("E1", utc(2026, 3, 2, 8, 0))
    await attendance.at(utc(2026, 3, 2, 16, 0))
    closed = await attendance.close("E1", MONDAY)
    assert closed.json()["events"] == ["EarlyDepartureRecorded", "AttendanceDayClosed"]
    [early] = await attendance.published("EarlyDepartureRecorded")
    assert (early.payload["minutes_early"], early.payload["excused"]) == (120, True)
    assert early.payload["excused_by_request_id"] == asked.json()["request_id"]


async def test_leave_approved_after_the_day_closed_excuses_the_absence(attendance):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 2, 16, 0))
    assert (await attendance.close("E1", MONDAY)).json()["events"] == [
        "AbsenceRecorded",
        "AttendanceDayClosed",
    ]
    await attendance.at(utc(2026, 3, 3, 2, 0))
    asked = await attendance.http.post(
        "/employees/E1/leave-requests",
        json={
            "first_day": "2026-03-02",
            "last_day": "2026-03-03",
            "leave_type": "sick",
            "reason": "fever",
        },
        headers=as_employee("E1"),
    )
    assert asked.status_code == 201, asked.text
    approved = await decide(attendance, asked.json()["request_id"], "S1", at=utc(2026, 3, 3, 3, 0))
    assert approved.json()["events"] == [
        "LeaveApproved",
        "AttendanceFactWithdrawn",
        "AbsenceRecorded",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    unexcused, excused = await attendance.published("AbsenceRecorded")
    assert (unexcused.payload["excused"], excused.payload["excused"]) == (False, True)
    assert excused.payload["excused_by_leave_request_id"] == asked.json()["request_id"]
    await attendance.at(utc(2026, 3, 3, 16, 0))
    tuesday = await attendance.close("E1", date(2026, 3, 3))
    assert tuesday.json()["events"] == ["AbsenceRecorded", "AttendanceDayClosed"]
    month = await attendance.http.get("/employees/E1/months/2026-03", headers=as_employee("E1"))
    totals = month.json()["totals"]
    assert (totals["absences"], totals["absences_unexcused"]) == (2, 0)


async def test_requests_are_checked_and_refusals_name_the_problem(attendance):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 1, 12, 0))
    weekend = await attendance.http.post(
        "/employees/E1/late-arrival-requests",
        json={
            "work_date": "2026-03-07",
            "expected_arrival": "2026-03-07T10:00:00+08:00",
            "reason": "x",
        },
        headers=as_employee("E1"),
    )
    assert weekend.status_code == 422
    assert "2026-03-07 is not a workday for 'E1'" in weekend.json()["detail"]
    naive = await attendance.http.post(
        "/employees/E1/late-arrival-requests",
        json={"work_date": "2026-03-02", "expected_arrival": "2026-03-02T10:00:00", "reason": "x"},
        headers=as_employee("E1"),
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "body.expected_arrival"
    for_someone_else = await attendance.http.post(
        "/employees/E1/leave-requests",
        json={
            "first_day": "2026-03-02",
            "last_day": "2026-03-02",
            "leave_type": "annual",
            "reason": "x",
        },
        headers=as_employee("E2"),
    )
    assert for_someone_else.status_code == 403
    unknown = await attendance.http.post(
        "/requests/00000000-0000-0000-0000-000000000000/approve", headers=HR
    )
    assert unknown.status_code == 404
