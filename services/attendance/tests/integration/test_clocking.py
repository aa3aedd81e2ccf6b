"""Clocking over HTTP by people and devices, evaluated in the employee's timezone (R-A1)."""

from datetime import date

from daybook_shared.testing.auth import as_employee

from .attendance_support import DEVICE, HR, MONDAY, utc

CSV_UPLOAD = (
    "employee_id,kind,device_time\n"
    "E1,out,2026-03-02T18:02:00+08:00\n"
    "E1,in,2026-03-02T08:58:00+08:00\n"
    "E2,in,2026-03-02T09:20:00+08:00\n"
)
JSONL_UPLOAD = (
    '{"employee_id": "E2", "kind": "in", "device_time": "2026-03-02T01:20:00Z"}\n'
    '{"employee_id": "E1", "kind": "in", "device_time": "2026-03-02T08:58:00+08:00"}\n'
)


async def upload(attendance, body: str, content_type: str, device_id: str = "GATE-7"):
    return await attendance.http.post(
        f"/devices/{device_id}/punches",
        content=body.encode(),
        headers={**DEVICE, "Content-Type": content_type},
    )


async def test_employee_in_utc_plus_8_is_late_by_their_clock_and_inside_grace_is_not(attendance):
    await attendance.assign_schedule("E1")
    await attendance.assign_schedule("E2")
    # The server runs in UTC: 01:10Z is 09:10 in Shanghai, five minutes past the grace.
    late = await attendance.clock_in("E1", utc(2026, 3, 2, 1, 10))
    assert late.status_code == 201, late.text
    assert late.json()["work_date"] == "2026-03-02"
    assert late.json()["events"] == ["ClockedIn", "LateArrivalRecorded"]
    on_time = await attendance.clock_in("E2", utc(2026, 3, 2, 1, 5))
    assert on_time.json()["events"] == ["ClockedIn"]

    [recorded] = await attendance.published("LateArrivalRecorded")
    assert recorded.payload["employee_id"] == "E1"
    assert recorded.payload["minutes_late"] == 10
    assert recorded.payload["excused"] is False
    assert recorded.occurred_at == utc(2026, 3, 2, 1, 10)
    assert recorded.stream_id == "attendance-day-E1-2026-03-02"
    punches = await attendance.published("ClockedIn")
    assert {p.payload["source"] for p in punches} == {"web"}
    assert {p.payload["employee_id"] for p in punches} == {"E1", "E2"}


async def test_a_daylight_saving_zone_is_read_with_the_offset_of_each_day(attendance):
    await attendance.assign_schedule("E3")  # New York; summer time from Sunday 8 March
    await attendance.at(utc(2026, 3, 9, 3, 59))
    too_early = await attendance.close("E3", date(2026, 3, 8))
    assert too_early.status_code == 409
    assert "America/New_York" in too_early.json()["detail"]
    await attendance.at(utc(2026, 3, 9, 4, 0))  # midnight after a 23-hour Sunday
    closed = await attendance.close("E3", date(2026, 3, 8))
    assert closed.json()["events"] == ["AttendanceDayClosed"]

    await attendance.at(utc(2026, 3, 9, 14, 0))
    friday = await attendance.device_punch("E3", "in", "2026-03-06T14:04:00Z")  # 09:04 EST
    assert friday.json()["events"] == ["ClockedIn"]
    monday = await attendance.device_punch("E3", "in", "2026-03-09T13:30:00Z")  # 09:30 EDT
    assert monday.json()["events"] == ["ClockedIn", "LateArrivalRecorded"]
    [late] = await attendance.published("LateArrivalRecorded")
    assert late.payload["minutes_late"] == 30
    assert late.payload["scheduled_start"] == "2026-03-09T13:00:00Z"
    [sunday] = await attendance.published("AttendanceDayClosed")
    assert sunday.payload["day_kind"] == "rest_day"
    assert sunday.occurred_at == utc(2026, 3, 9, 4, 0)


async def test_a_device_punch_keeps_device_and_receive_time_and_a_repeat_is_a_duplicate(
    attendance,
):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 2, 6, 0))
    first = await attendance.device_punch("E1", "in", "2026-03-02T08:59:30+08:00")
    assert first.status_code == 201, first.text
    again = await attendance.device_punch("E1", "in", "2026-03-02T00:59:30Z")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    [punch] = await attendance.published("ClockedIn")
    assert punch.payload["source"] == "device"
    assert punch.payload["device_id"] == "GATE-1"
    assert punch.payload["device_time"] == "2026-03-02T08:59:30+08:00"  # as the device said
    assert punch.payload["at"] == "2026-03-02T00:59:30Z"
    assert punch.payload["received_at"] == "2026-03-02T06:00:00Z"


async def test_a_duplicate_device_upload_is_ignored_punch_by_punch(attendance):
    await attendance.assign_schedule("E1")
    await attendance.assign_schedule("E2")
    await attendance.at(utc(2026, 3, 2, 11, 0))
    first = await upload(attendance, CSV_UPLOAD, "text/csv")
    assert first.status_code == 200, first.text
    assert (first.json()["recorded"], first.json()["duplicates"]) == (3, 0)
    again = await upload(attendance, CSV_UPLOAD, "text/csv")
    assert (again.json()["recorded"], again.json()["duplicates"]) == (0, 3)
    overlapping = await upload(attendance, JSONL_UPLOAD, "application/x-ndjson")
    assert (overlapping.json()["recorded"], overlapping.json()["duplicates"]) == (0, 2)

    published = await attendance.published("ClockedIn", "ClockedOut", "LateArrivalRecorded")
    assert sorted(e.event_type for e in published) == [
        "ClockedIn",
        "ClockedIn",
        "ClockedOut",
        "LateArrivalRecorded",
    ]
    assert {e.payload["source"] for e in published if e.event_type != "LateArrivalRecorded"} == {
        "import"
    }
    day = await attendance.day("E1", MONDAY)
    assert day["day"]["worked_minutes"] == 544


async def test_several_punches_a_day_and_a_missing_clock_out_at_the_close(attendance):
    await attendance.assign_schedule("E1")
    await attendance.assign_schedule("E2")
    await attendance.at(utc(2026, 3, 2, 16, 0))  # Monday has ended in Shanghai
    punches = (
        "employee_id,kind,device_time\n"
        "E1,in,2026-03-02T08:58:00+08:00\n"
        "E1,out,2026-03-02T12:00:00+08:00\n"
        "E1,in,2026-03-02T13:00:00+08:00\n"
        "E1,out,2026-03-02T18:02:00+08:00\n"
        "E2,in,2026-03-02T08:55:00+08:00\n"
    )
    assert (await upload(attendance, punches, "text/csv")).json()["recorded"] == 5
    assert (await attendance.close("E1", MONDAY)).json()["events"] == ["AttendanceDayClosed"]
    assert (await attendance.close("E2", MONDAY)).json()["events"] == ["AttendanceDayClosed"]
    closed = {
        e.payload["employee_id"]: e.payload
        for e in await attendance.published("AttendanceDayClosed")
    }
    assert (closed["E1"]["worked_minutes"], closed["E1"]["punch_count"]) == (182 + 302, 4)
    assert closed["E1"]["missing_clock_out"] is False
    assert (closed["E2"]["worked_minutes"], closed["E2"]["missing_clock_out"]) == (0, True)
    assert await attendance.published("EarlyDepartureRecorded", "AbsenceRecorded") == []


async def test_bad_punches_get_a_4xx_naming_the_problem_and_store_nothing(attendance):
    await attendance.assign_schedule("E1")
    stored_before = await attendance.stored_count()

    unknown = await attendance.device_punch("E9", "in", "2026-03-02T09:00:00+08:00")
    assert unknown.status_code == 422
    assert (unknown.json()["field"], unknown.json()["detail"]) == (
        "employee_id",
        "unknown employee 'E9'",
    )
    out_first = await attendance.clock_out("E1", utc(2026, 3, 2, 1, 0))
    assert out_first.status_code == 422
    assert "comes before any clock-in" in out_first.json()["detail"]
    for malformed in ("2026-03-02 09:00", "yesterday", "2026-03-02T25:00:00+08:00"):
        response = await attendance.device_punch("E1", "in", malformed)
        assert response.status_code == 422, malformed
        assert response.json()["field"] == "body.device_time"
    future = await attendance.device_punch("E1", "in", "2026-03-02T10:00:00+08:00")
    assert future.status_code == 422
    assert "in the future" in future.json()["detail"]

    bad_upload = (
        "employee_id,kind,device_time\n"
        "E1,in,2026-03-02T08:58:00+08:00\n"
        "E1,in,not-a-time\n"
        "E9,in,2026-03-02T08:58:00+08:00\n"
    )
    refused = await upload(attendance, bad_upload, "text/csv")
    assert refused.status_code == 422
    assert "line 3: device_time" in refused.json()["detail"]
    refused_later = await upload(
        attendance,
        "employee_id,kind,device_time\n"
        "E1,in,2026-03-02T08:58:00+08:00\n"
        "E9,in,2026-03-02T08:58:00+08:00\n"
        "E1,out,2026-03-02T08:00:00+08:00\n",
        "text/csv",
    )
    assert refused_later.status_code == 422
    detail = refused_later.json()["detail"]
    assert "line 3: unknown employee 'E9'" in detail
    assert "line 4: clock-out at 2026-03-02 08:00 (Asia/Shanghai)" in detail
    wrong_type = await upload(attendance, "E1 in now", "text/plain")
    assert wrong_type.status_code == 422
    assert wrong_type.json()["field"] == "content-type"

    assert await attendance.stored_count() == stored_before
    assert (await attendance.day("E1", MONDAY))["day"] is None


async def test_people_punch_only_for_themselves_and_devices_for_anyone(attendance):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 2, 1, 0))
    for_another = await attendance.http.post("/employees/E1/clock-in", headers=as_employee("E2"))
    assert for_another.status_code == 403
    device_as_person = await attendance.http.post(
        "/punches",
        json={
            "employee_id": "E1",
            "kind": "in",
            "device_id": "G",
            "device_time": "2026-03-02T01:00:00Z",
        },
        headers=as_employee("E1"),
    )
    assert device_as_person.status_code == 403
    by_hr = await attendance.http.post("/employees/E1/clock-in", headers=HR)
    assert by_hr.status_code == 201
    assert by_hr.json()["events"] == ["ClockedIn"]


async def test_a_retried_web_punch_with_the_same_idempotency_key_records_once(attendance):
    await attendance.assign_schedule("E1")
    await attendance.at(utc(2026, 3, 2, 0, 58))
    headers = {**as_employee("E1"), "Idempotency-Key": "tap-1"}
    first = await attendance.http.post("/employees/E1/clock-in", headers=headers)
    await attendance.at(utc(2026, 3, 2, 1, 30))  # the phone retries half an hour later
    retried = await attendance.http.post("/employees/E1/clock-in", headers=headers)
    assert (first.status_code, retried.status_code) == (201, 200)
    assert retried.json() == first.json()
    [punch] = await attendance.published("ClockedIn")
    assert punch.payload["at"] == "2026-03-02T00:58:00Z"
