"""What a punch, a request or a correction must satisfy; a refusal decides nothing."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from daybook_attendance.domain.clocking import (
    CorrectDay,
    PunchToAdd,
    RecordPunch,
    RequestEarlyLeave,
    RequestLateArrival,
    device_punch_id,
)
from daybook_attendance.domain.day import DayContext
from daybook_attendance.domain.errors import (
    AlreadyDecided,
    ClockOutBeforeClockIn,
    InvalidCommand,
    NotAWorkday,
    PunchInFuture,
    PunchNotFound,
    WrongWorkDate,
)

from .builders import make_day, types, utc


def device_punch(d, kind, device_time, received_at, device_id="GATE-1"):
    return d.run(
        RecordPunch(
            employee_id="E1",
            work_date=d.day.work_date,
            punch_id=device_punch_id(device_id, "E1", kind, device_time),
            kind=kind,
            at=device_time,
            source="import",
            received_at=received_at,
            device_id=device_id,
            device_time=device_time,
        )
    )


def test_a_clock_out_before_any_clock_in_is_refused():
    d = make_day()
    with pytest.raises(ClockOutBeforeClockIn, match="2026-03-02 09:00"):
        d.punch("out", utc(2026, 3, 2, 1, 0))
    assert d.log == []


def test_a_clock_out_earlier_than_the_days_clock_in_is_refused():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    with pytest.raises(ClockOutBeforeClockIn, match="before any clock-in"):
        d.punch("out", utc(2026, 3, 2, 0, 30))


def test_a_punch_filed_under_another_day_is_refused():
    d = make_day()
    with pytest.raises(WrongWorkDate, match="is not on 2026-03-02"):
        d.punch("in", utc(2026, 3, 2, 16, 30))  # 00:30 on the 3rd in Shanghai


def test_a_device_time_in_the_future_is_refused_beyond_clock_drift():
    d = make_day()
    received = utc(2026, 3, 2, 1, 0)
    assert types(device_punch(d, "in", received + timedelta(minutes=4), received)) == ["ClockedIn"]
    with pytest.raises(PunchInFuture) as refused:
        device_punch(d, "out", received + timedelta(minutes=6), received)
    assert refused.value.field == "device_time"


def test_a_duplicate_device_punch_is_ignored_and_keeps_device_and_receive_time():
    d = make_day()
    first = device_punch(d, "in", utc(2026, 3, 2, 0, 59), utc(2026, 3, 3, 8, 0))
    assert first[0].payload.device_time == utc(2026, 3, 2, 0, 59)
    assert first[0].payload.received_at == utc(2026, 3, 3, 8, 0)
    assert first[0].payload.device_id == "GATE-1"
    assert device_punch(d, "in", utc(2026, 3, 2, 0, 59), utc(2026, 3, 3, 9, 0)) == []


def test_the_same_punch_from_two_devices_is_two_punches():
    assert device_punch_id("GATE-1", "E1", "in", utc(2026, 3, 2, 1)) != device_punch_id(
        "GATE-2", "E1", "in", utc(2026, 3, 2, 1)
    )


def test_requests_need_a_workday():
    d = make_day(date(2026, 3, 7))
    with pytest.raises(NotAWorkday, match="rest day"):
        d.run(
            RequestLateArrival(
                "E1", d.day.work_date, uuid4(), utc(2026, 3, 7, 2), "train", utc(2026, 3, 6)
            )
        )
    unscheduled = make_day(context=DayContext(timezone="Asia/Shanghai"))
    with pytest.raises(NotAWorkday, match="no work schedule"):
        unscheduled.run(
            RequestEarlyLeave(
                "E1", date(2026, 3, 2), uuid4(), utc(2026, 3, 2, 8), "x", utc(2026, 3, 2)
            )
        )


@pytest.mark.parametrize(
    ("expected_arrival", "problem"),
    [
        (utc(2026, 3, 2, 1, 0), "not after the scheduled start"),
        (utc(2026, 3, 2, 10, 0), "not before the scheduled end"),
        (utc(2026, 3, 2, 17, 0), "is not on 2026-03-02"),
    ],
)
def test_a_late_arrival_request_must_expect_an_arrival_within_the_days_hours(
    expected_arrival, problem
):
    d = make_day()
    with pytest.raises(InvalidCommand, match=problem) as refused:
        d.run(
            RequestLateArrival(
                "E1", d.day.work_date, uuid4(), expected_arrival, "bus", utc(2026, 3, 1)
            )
        )
    assert refused.value.field == "expected_arrival"


def test_a_late_arrival_request_made_before_the_start_is_in_advance():
    d = make_day()
    decided = d.run(
        RequestLateArrival(
            "E1", d.day.work_date, uuid4(), utc(2026, 3, 2, 2), "bus", utc(2026, 3, 2, 0, 59)
        )
    )
    assert decided[0].payload.in_advance is True


def test_an_early_leave_must_be_between_start_and_end():
    d = make_day()
    for leave_at in (utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 0, 30)):
        with pytest.raises(InvalidCommand) as refused:
            d.run(RequestEarlyLeave("E1", d.day.work_date, uuid4(), leave_at, "x", utc(2026, 3, 2)))
        assert refused.value.field == "leave_at"


def correct(d, **changes):
    command = {
        "employee_id": "E1",
        "work_date": d.day.work_date,
        "correction_id": uuid4(),
        "reason": "fix",
        "corrected_by": "S1",
        "corrected_at": utc(2026, 3, 3),
        **changes,
    }
    return d.run(CorrectDay(**command))


def test_a_correction_must_change_something_name_real_punches_and_stay_ordered():
    d = make_day()
    punch_id = uuid4()
    d.punch("in", utc(2026, 3, 2, 1), punch_id=punch_id)
    d.punch("out", utc(2026, 3, 2, 10))
    with pytest.raises(InvalidCommand, match="at least one punch"):
        correct(d)
    with pytest.raises(PunchNotFound):
        correct(d, void=(uuid4(),))
    with pytest.raises(ClockOutBeforeClockIn):
        correct(d, void=(punch_id,))
    with pytest.raises(WrongWorkDate):
        correct(d, add=(PunchToAdd("in", utc(2026, 3, 1, 1)),))
    with pytest.raises(PunchInFuture):
        correct(d, add=(PunchToAdd("in", utc(2026, 3, 2, 3)),), corrected_at=utc(2026, 3, 2, 2))
    assert types(d.log) == ["ClockedIn", "ClockedOut"]


def test_a_punch_cannot_be_voided_twice_and_a_correction_is_applied_once():
    d = make_day()
    punch_id = uuid4()
    d.punch("in", utc(2026, 3, 2, 1), punch_id=punch_id)
    d.punch("in", utc(2026, 3, 2, 1, 2))
    correction_id = uuid4()
    assert types(correct(d, correction_id=correction_id, void=(punch_id,))) == [
        "AttendanceCorrected"
    ]
    assert correct(d, correction_id=correction_id, void=(punch_id,)) == []
    with pytest.raises(AlreadyDecided, match="already voided"):
        correct(d, void=(punch_id,))
