"""Late arrival at the first clock-in, and what may excuse it (R-A1, R-B3.1)."""

from datetime import date, time
from uuid import uuid4

from daybook_attendance.domain.clocking import DecideRequest, RequestLateArrival
from daybook_attendance.domain.day import DayContext
from daybook_shared.contracts.attendance import LateArrivalRecorded

from .builders import make_day, schedule, types, utc


def request_late(d, *, requested_at, expected_arrival):
    request_id = uuid4()
    d.run(
        RequestLateArrival(
            employee_id="E1",
            work_date=d.day.work_date,
            request_id=request_id,
            expected_arrival=expected_arrival,
            reason="dentist",
            requested_at=requested_at,
        )
    )
    return request_id


def approve(d, request_id, at):
    return d.run(
        DecideRequest(
            employee_id="E1",
            work_date=d.day.work_date,
            request_id=request_id,
            approve=True,
            decided_by="S1",
            decided_at=at,
        )
    )


def test_employee_in_utc_plus_8_is_late_by_shanghai_time_not_the_servers():
    d = make_day()
    decided = d.punch("in", utc(2026, 3, 2, 1, 10))  # 09:10 in Shanghai
    assert types(decided) == ["ClockedIn", "LateArrivalRecorded"]
    late = decided[1].payload
    assert isinstance(late, LateArrivalRecorded)
    assert late.minutes_late == 10
    assert late.scheduled_start == utc(2026, 3, 2, 1, 0)
    assert late.excused is False
    assert decided[1].occurred_at == utc(2026, 3, 2, 1, 10)


def test_a_punch_inside_the_grace_period_is_on_time():
    d = make_day()
    assert types(d.punch("in", utc(2026, 3, 2, 1, 5))) == ["ClockedIn"]


def test_one_second_past_the_grace_is_late_counting_from_the_start():
    d = make_day()
    decided = d.punch("in", utc(2026, 3, 2, 1, 5, 1))
    assert decided[1].payload.minutes_late == 6


def test_only_the_first_clock_in_of_the_day_counts():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 0, 55))
    d.punch("out", utc(2026, 3, 2, 4, 0))
    assert types(d.punch("in", utc(2026, 3, 2, 5, 30))) == ["ClockedIn"]


def test_a_daylight_saving_zone_uses_the_offset_of_that_day():
    # New York moves to summer time on Sunday 8 March 2026: 09:00 is 13:00Z from Monday 9th,
    # 14:00Z the Friday before.
    context = DayContext(
        timezone="America/New_York", schedule=schedule(timezone="America/New_York")
    )
    friday = make_day(date(2026, 3, 6), context=context)
    assert types(friday.punch("in", utc(2026, 3, 6, 14, 4))) == ["ClockedIn"]
    monday = make_day(date(2026, 3, 9), context=context)
    decided = monday.punch("in", utc(2026, 3, 9, 13, 30))
    assert decided[1].payload.minutes_late == 30
    assert decided[1].payload.scheduled_start == utc(2026, 3, 9, 13, 0)


def test_no_lateness_on_a_weekend_or_a_holiday():
    saturday = make_day(date(2026, 3, 7))
    assert types(saturday.punch("in", utc(2026, 3, 7, 3, 0))) == ["ClockedIn"]
    holiday = make_day(
        context=DayContext(timezone="Asia/Shanghai", schedule=schedule(), holiday="Founders Day")
    )
    assert types(holiday.punch("in", utc(2026, 3, 2, 3, 0))) == ["ClockedIn"]


def test_an_approved_request_made_in_advance_excuses_up_to_its_expected_arrival():
    d = make_day()
    request_id = request_late(
        d, requested_at=utc(2026, 3, 1, 12, 0), expected_arrival=utc(2026, 3, 2, 2, 0)
    )
    approve(d, request_id, utc(2026, 3, 1, 13, 0))
    decided = d.punch("in", utc(2026, 3, 2, 1, 50))
    late = decided[1].payload
    assert (late.excused, late.excused_by_request_id, late.minutes_late) == (True, request_id, 50)


def test_arriving_later_than_the_approved_expected_arrival_is_not_excused():
    d = make_day()
    request_id = request_late(
        d, requested_at=utc(2026, 3, 1, 12, 0), expected_arrival=utc(2026, 3, 2, 2, 0)
    )
    approve(d, request_id, utc(2026, 3, 1, 13, 0))
    decided = d.punch("in", utc(2026, 3, 2, 2, 6))  # expected 10:00, grace 5, came 10:06
    assert decided[1].payload.excused is False


def test_a_request_made_after_the_start_is_kept_but_never_excuses():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 40))
    request_id = request_late(
        d, requested_at=utc(2026, 3, 2, 1, 20), expected_arrival=utc(2026, 3, 2, 1, 45)
    )
    assert d.log[-1].payload.in_advance is False
    decided = approve(d, request_id, utc(2026, 3, 2, 2, 0))
    assert types(decided) == ["LateArrivalApproved"]
    assert decided[0].payload.in_advance is False
    assert d.day.facts["LateArrivalRecorded"].payload.excused is False


def test_an_approval_arriving_after_the_punch_withdraws_and_re_records_as_excused():
    d = make_day()
    request_id = request_late(
        d, requested_at=utc(2026, 3, 2, 0, 30), expected_arrival=utc(2026, 3, 2, 2, 0)
    )
    unexcused = d.punch("in", utc(2026, 3, 2, 1, 30))[1]
    decided = approve(d, request_id, utc(2026, 3, 2, 3, 0))
    assert types(decided) == [
        "LateArrivalApproved",
        "AttendanceFactWithdrawn",
        "LateArrivalRecorded",
    ]
    _, withdrawn, excused = decided
    assert withdrawn.payload.withdrawn_event_id == unexcused.event_id
    assert withdrawn.payload.superseded_by_event_id == excused.event_id
    assert withdrawn.payload.cause == "request_decided"
    assert withdrawn.occurred_at == unexcused.occurred_at
    assert excused.payload.excused is True
    assert excused.event_id != unexcused.event_id


def test_a_rejected_request_leaves_the_late_arrival_as_it_is():
    d = make_day()
    request_id = request_late(
        d, requested_at=utc(2026, 3, 2, 0, 30), expected_arrival=utc(2026, 3, 2, 2, 0)
    )
    d.punch("in", utc(2026, 3, 2, 1, 30))
    decided = d.run(
        DecideRequest("E1", d.day.work_date, request_id, False, "S1", utc(2026, 3, 2, 3, 0))
    )
    assert types(decided) == ["LateArrivalRejected"]


def test_a_late_punch_uploaded_for_an_earlier_time_moves_the_first_clock_in():
    d = make_day()
    first = d.punch("in", utc(2026, 3, 2, 1, 30))[1]
    decided = d.punch("in", utc(2026, 3, 2, 0, 58))  # a device's earlier punch, uploaded later
    assert types(decided) == ["ClockedIn", "AttendanceFactWithdrawn"]
    assert decided[1].payload.withdrawn_event_id == first.event_id
    assert decided[1].payload.superseded_by_event_id is None
    assert "LateArrivalRecorded" not in d.day.facts


def test_schedule_hours_apply_in_the_schedule_timezone():
    context = DayContext(
        timezone="Europe/Berlin", schedule=schedule(timezone="Europe/Berlin", starts_at=time(8))
    )
    d = make_day(context=context)
    decided = d.punch("in", utc(2026, 3, 2, 7, 20))  # 08:20 in Berlin (UTC+1 in March)
    assert decided[1].payload.minutes_late == 20
