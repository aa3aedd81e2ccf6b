"""The day close: scheduled, idempotent, safe with two replicas; compensation after it."""

import asyncio
from datetime import date

from daybook_attendance.bootstrap import build_app
from daybook_shared.testing.auth import as_supervisor
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .attendance_support import DEVICE, HR, MONDAY, utc


async def test_weekend_and_holiday_are_closed_without_absences(attendance):
    await attendance.assign_schedule("E1")
    declared = await attendance.http.post(
        "/holidays", json={"holiday_date": "2026-03-04", "name": "Lantern Festival"}, headers=HR
    )
    assert declared.status_code == 201, declared.text
    await attendance.clock_in("E1", utc(2026, 3, 2, 0, 55))
    await attendance.clock_out("E1", utc(2026, 3, 2, 10, 0))
    await attendance.at(utc(2026, 3, 8, 16, 0))  # Sunday has ended in Shanghai
    run = await attendance.http.post("/day-close", headers=DEVICE)
    assert run.status_code == 200, run.text
    assert run.json()["days_closed"] == 7

    closed = {
        e.payload["work_date"]: e.payload for e in await attendance.published("AttendanceDayClosed")
    }
    assert {day: closed[day]["day_kind"] for day in sorted(closed)} == {
        "2026-03-02": "workday",
        "2026-03-03": "workday",
        "2026-03-04": "holiday",
        "2026-03-05": "workday",
        "2026-03-06": "workday",
        "2026-03-07": "rest_day",
        "2026-03-08": "rest_day",
    }
    absences = await attendance.published("AbsenceRecorded")
    assert sorted(a.payload["work_date"] for a in absences) == [
        "2026-03-03",
        "2026-03-05",
        "2026-03-06",
    ]
    stored = await attendance.stored_count()
    again = await attendance.http.post("/day-close", headers=HR)
    assert again.json()["days_closed"] == 0
    assert await attendance.stored_count() == stored


async def test_a_day_cannot_close_before_it_ends_in_the_employees_timezone(attendance):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 2, 15, 59))
    early = await attendance.close("E1", MONDAY)
    assert early.status_code == 409
    assert "has not ended in Asia/Shanghai" in early.json()["detail"]
    run = await attendance.http.post("/day-close", headers=HR)
    assert run.json()["days_closed"] == 0
    not_allowed = await attendance.http.post("/day-close", headers=as_supervisor("S1"))
    assert not_allowed.status_code == 403


async def test_an_upload_after_the_close_is_processed_by_its_own_time_and_compensates(
    attendance,
):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 2, 16, 0))
    absence_and_close = await attendance.close("E1", MONDAY)
    assert absence_and_close.json()["events"] == ["AbsenceRecorded", "AttendanceDayClosed"]
    await attendance.at(utc(2026, 3, 4, 2, 0))  # two days later the badge reader syncs
    uploaded = await attendance.http.post(
        "/devices/GATE-3/punches",
        content=(
            b'{"employee_id": "E1", "kind": "out", "device_time": "2026-03-02T18:00:00+08:00"}\n'
            b'{"employee_id": "E1", "kind": "in", "device_time": "2026-03-02T09:20:00+08:00"}\n'
        ),
        headers={**DEVICE, "Content-Type": "application/x-ndjson"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["recorded"] == 2

    events = await attendance.published()
    after_close = [e.event_type for e in events[3:]]
    assert after_close == [
        "ClockedIn",
        "ClockedOut",
        "LateArrivalRecorded",
        "AttendanceFactWithdrawn",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    absence, first_close = events[1], events[2]
    late, withdraw_absence, withdraw_close, second_close = events[-4:]
    assert late.payload["minutes_late"] == 20
    assert late.occurred_at == utc(2026, 3, 2, 1, 20)  # by the punch's own time
    assert withdraw_absence.payload["withdrawn_event_id"] == str(absence.event_id)
    assert withdraw_absence.occurred_at == absence.occurred_at
    assert withdraw_close.payload["withdrawn_event_id"] == str(first_close.event_id)
    assert withdraw_close.payload["superseded_by_event_id"] == str(second_close.event_id)
    assert (second_close.payload["revision"], second_close.payload["worked_minutes"]) == (2, 520)
    day = (await attendance.day("E1", MONDAY))["day"]
    assert (day["absent"], day["late_minutes"], day["revision"]) == (False, 20, 2)


async def test_a_correction_after_the_close_keeps_history_and_compensates(attendance):
    await attendance.assign_schedule("E1")
    await attendance.clock_in("E1", utc(2026, 3, 2, 1, 0))
    await attendance.at(utc(2026, 3, 2, 16, 0))
    await attendance.close("E1", MONDAY)
    await attendance.at(utc(2026, 3, 3, 2, 0))
    body = {
        "reason": "exit reader was down",
        "add": [{"kind": "out", "at": "2026-03-02T18:00:00+08:00"}],
    }
    other_team = await attendance.http.post(
        "/employees/E1/days/2026-03-02/corrections", json=body, headers=as_supervisor("S2")
    )
    assert other_team.status_code == 403
    no_reason = await attendance.http.post(
        "/employees/E1/days/2026-03-02/corrections",
        json={"add": body["add"]},
        headers=as_supervisor("S1"),
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["field"] == "body.reason"
    corrected = await attendance.http.post(
        "/employees/E1/days/2026-03-02/corrections", json=body, headers=as_supervisor("S1")
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["events"] == [
        "AttendanceCorrected",
        "ClockedOut",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    [correction] = await attendance.published("AttendanceCorrected")
    assert correction.payload["reason"] == "exit reader was down"
    assert correction.payload["corrected_by"] == "S1"
    assert correction.actor_id == "user-S1"
    first, second = await attendance.published("AttendanceDayClosed")
    assert (first.payload["missing_clock_out"], first.payload["worked_minutes"]) == (True, 0)
    assert (second.payload["missing_clock_out"], second.payload["worked_minutes"]) == (False, 540)
    day = (await attendance.day("E1", MONDAY))["day"]
    assert day["corrections"] == 1
    assert [p["source"] for p in day["punches"]] == ["web", "correction"]


async def test_a_holiday_declared_after_the_close_withdraws_the_absences(attendance):
    await attendance.assign_schedule("E1")
    await attendance.assign_schedule("E2")
    await attendance.at(utc(2026, 3, 2, 16, 0))
    await attendance.http.post("/day-close", headers=HR)
    declared = await attendance.http.post(
        "/holidays", json={"holiday_date": "2026-03-02", "name": "Typhoon day"}, headers=HR
    )
    assert declared.json()["days_compensated"] == 2
    withdrawn = await attendance.published("AttendanceFactWithdrawn")
    assert sorted(w.payload["withdrawn_event_type"] for w in withdrawn) == [
        "AbsenceRecorded",
        "AbsenceRecorded",
        "AttendanceDayClosed",
        "AttendanceDayClosed",
    ]
    assert {w.payload["cause"] for w in withdrawn} == {"holiday_changed"}
    month = await attendance.http.get("/employees/E2/months/2026-03", headers=HR)
    assert month.json()["totals"]["absences"] == 0


async def test_two_replicas_closing_the_same_days_at_once_record_each_fact_once(
    attendance, settings, clock
):
    await attendance.assign_schedule("E1")
    await attendance.assign_schedule("E2")
    await attendance.at(utc(2026, 3, 3, 16, 0))  # Monday and Tuesday have ended
    async with serve_app(build_app(settings, clock=clock)) as replica:
        runs = await asyncio.gather(
            attendance.http.post("/day-close", headers=HR),
            replica.post("/day-close", headers=HR),
            attendance.http.post("/day-close", headers=DEVICE),
            replica.post("/day-close", headers=DEVICE),
        )
    assert [r.status_code for r in runs] == [200, 200, 200, 200]
    assert sum(r.json()["days_closed"] for r in runs) == 4
    closes = await attendance.published("AttendanceDayClosed")
    absences = await attendance.published("AbsenceRecorded")
    assert sorted((e.payload["employee_id"], e.payload["work_date"]) for e in closes) == [
        ("E1", "2026-03-02"),
        ("E1", "2026-03-03"),
        ("E2", "2026-03-02"),
        ("E2", "2026-03-03"),
    ]
    assert len(absences) == 4
    assert await attendance.stored_count() == 2 + 8


async def test_the_scheduler_closes_ended_days_by_itself(attendance, settings, clock):
    await attendance.assign_schedule("E1")
    clock.set(utc(2026, 3, 2, 16, 0))
    fast = settings.model_copy(update={"day_close_interval_s": 0.05, "run_scheduler": True})
    async with serve_app(build_app(fast, clock=clock)):

        async def monday_closed() -> None:
            day = (await attendance.day("E1", MONDAY))["day"]
            assert day is not None and day["closed"] is True

        await eventually(monday_closed)
    [absence] = await attendance.published("AbsenceRecorded")
    assert absence.payload["work_date"] == "2026-03-02"
    assert absence.actor_id is None
    watermark = await attendance.db.fetchval(
        "SELECT closed_through FROM attendance.close_watermarks WHERE employee_id = 'E1'"
    )
    assert watermark == date(2026, 3, 2)
