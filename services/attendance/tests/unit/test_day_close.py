"""The day close: absence, early departure, worked minutes, and compensation after it."""

from datetime import date
from uuid import uuid4

import pytest

from daybook_attendance.domain.clocking import (
    CloseDay,
    CorrectDay,
    DecideRequest,
    PunchToAdd,
    RecordPunch,
    ReevaluateDay,
    RequestEarlyLeave,
    decide_punch_batch,
)
from daybook_attendance.domain.day import DERIVED_ORDER, ApprovedLeave, DayContext
from daybook_attendance.domain.errors import ClockOutBeforeClockIn, DayNotOver
from daybook_attendance.domain.evaluation import derived_event_id
from daybook_shared.contracts.attendance import AttendanceDayClosed

from .builders import make_day, schedule, types, utc

DAY_OVER = utc(2026, 3, 2, 16, 0)  # midnight in Shanghai


def close(d, now=DAY_OVER):
    return d.run(CloseDay("E1", d.day.work_date, now))


def summary(d) -> AttendanceDayClosed:
    fact = d.day.facts["AttendanceDayClosed"].payload
    assert isinstance(fact, AttendanceDayClosed)
    return fact


def test_a_workday_without_punches_is_an_unexcused_absence():
    d = make_day()
    decided = close(d)
    assert types(decided) == ["AbsenceRecorded", "AttendanceDayClosed"]
    absence, closed = decided
    assert absence.payload.excused is False
    assert absence.occurred_at == utc(2026, 3, 2, 1, 0)
    assert closed.occurred_at == DAY_OVER
    assert closed.payload.day_kind == "workday"
    assert closed.payload.scheduled_minutes == 540
    assert closed.payload.revision == 1


def test_the_day_cannot_close_before_it_ends_in_the_employees_timezone():
    d = make_day()
    with pytest.raises(DayNotOver, match="Asia/Shanghai"):
        close(d, now=utc(2026, 3, 2, 15, 59))
    assert d.log == []


def test_a_daylight_saving_day_ends_after_23_hours():
    # Sunday 8 March 2026 in New York: midnight to midnight is 05:00Z to 04:00Z.
    context = DayContext(
        timezone="America/New_York", schedule=schedule(timezone="America/New_York")
    )
    d = make_day(date(2026, 3, 8), context=context)
    with pytest.raises(DayNotOver):
        close(d, now=utc(2026, 3, 9, 3, 59))
    decided = close(d, now=utc(2026, 3, 9, 4, 0))
    assert types(decided) == ["AttendanceDayClosed"]
    assert decided[0].payload.day_kind == "rest_day"


def test_weekend_and_holiday_are_never_absences():
    saturday = make_day(date(2026, 3, 7))
    assert types(close(saturday, now=utc(2026, 3, 7, 16, 0))) == ["AttendanceDayClosed"]
    assert summary(saturday).day_kind == "rest_day"
    holiday = make_day(
        context=DayContext(timezone="Asia/Shanghai", schedule=schedule(), holiday="Spring Festival")
    )
    assert types(close(holiday)) == ["AttendanceDayClosed"]
    assert (summary(holiday).day_kind, summary(holiday).scheduled_minutes) == ("holiday", 0)


def test_approved_leave_makes_the_absence_excused():
    leave_id = uuid4()
    d = make_day(
        context=DayContext(
            timezone="Asia/Shanghai", schedule=schedule(), leave=ApprovedLeave(leave_id, "sick")
        )
    )
    absence = close(d)[0].payload
    assert (absence.excused, absence.excused_by_leave_request_id, absence.leave_type) == (
        True,
        leave_id,
        "sick",
    )
    assert summary(d).on_leave_request_id == leave_id


def test_several_punches_a_day_sum_their_intervals():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 0, 58))
    d.punch("out", utc(2026, 3, 2, 4, 0))
    d.punch("in", utc(2026, 3, 2, 5, 0))
    d.punch("out", utc(2026, 3, 2, 10, 2))
    assert types(close(d)) == ["AttendanceDayClosed"]
    closed = summary(d)
    assert closed.worked_minutes == 182 + 302
    assert closed.punch_count == 4
    assert (closed.first_clock_in, closed.last_clock_out) == (
        utc(2026, 3, 2, 0, 58),
        utc(2026, 3, 2, 10, 2),
    )
    assert closed.missing_clock_out is False


def test_a_double_badge_adds_no_time():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    d.punch("in", utc(2026, 3, 2, 1, 1))
    d.punch("out", utc(2026, 3, 2, 10, 0))
    close(d)
    assert summary(d).worked_minutes == 540


def test_a_missing_clock_out_counts_no_time_and_is_flagged_not_an_early_departure():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    assert types(close(d)) == ["AttendanceDayClosed"]
    assert (summary(d).missing_clock_out, summary(d).worked_minutes) == (True, 0)


def test_leaving_before_end_minus_grace_is_an_early_departure_at_the_close():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    out = d.punch("out", utc(2026, 3, 2, 9, 30))  # 17:30 in Shanghai
    assert types(out) == ["ClockedOut"]
    decided = close(d)
    assert types(decided) == ["EarlyDepartureRecorded", "AttendanceDayClosed"]
    early = decided[0].payload
    assert (early.minutes_early, early.excused, early.departed_at) == (
        30,
        False,
        utc(2026, 3, 2, 9, 30),
    )


def test_leaving_inside_the_early_grace_is_not_early():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    d.punch("out", utc(2026, 3, 2, 9, 55))
    assert types(close(d)) == ["AttendanceDayClosed"]


def test_a_lunch_break_clock_out_followed_by_a_return_is_not_an_early_departure():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    d.punch("out", utc(2026, 3, 2, 4, 0))
    d.punch("in", utc(2026, 3, 2, 5, 0))
    d.punch("out", utc(2026, 3, 2, 10, 0))
    assert "EarlyDepartureRecorded" not in types(close(d))


def early_leave(d, *, requested_at, leave_at, approve_at):
    request_id = uuid4()
    d.run(RequestEarlyLeave("E1", d.day.work_date, request_id, leave_at, "doctor", requested_at))
    d.run(DecideRequest("E1", d.day.work_date, request_id, True, "S1", approve_at))
    return request_id


def test_an_approved_early_leave_asked_for_before_leaving_excuses_it():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    request_id = early_leave(
        d,
        requested_at=utc(2026, 3, 2, 6, 0),
        leave_at=utc(2026, 3, 2, 8, 0),
        approve_at=utc(2026, 3, 2, 6, 30),
    )
    d.punch("out", utc(2026, 3, 2, 8, 0))
    early = close(d)[0].payload
    assert (early.excused, early.excused_by_request_id, early.minutes_early) == (
        True,
        request_id,
        120,
    )


def test_an_early_leave_asked_for_after_leaving_does_not_excuse_it():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    d.punch("out", utc(2026, 3, 2, 8, 0))
    early_leave(
        d,
        requested_at=utc(2026, 3, 2, 8, 30),
        leave_at=utc(2026, 3, 2, 8, 0),
        approve_at=utc(2026, 3, 2, 9, 0),
    )
    assert close(d)[0].payload.excused is False


def test_closing_twice_decides_nothing_and_a_second_run_computes_the_same_ids():
    d = make_day()
    first = close(d)
    assert close(d) == []
    again = make_day()
    assert [e.event_id for e in close(again)] == [e.event_id for e in first]
    assert first[0].event_id == derived_event_id(d.day, "AbsenceRecorded", 1)


def test_a_punch_uploaded_after_the_close_compensates_by_its_own_time():
    d = make_day()
    absence, closed_1 = close(d)
    decided = d.punch("in", utc(2026, 3, 2, 1, 20))
    d.punch("out", utc(2026, 3, 2, 10, 0))
    assert types(decided) == [
        "ClockedIn",
        "LateArrivalRecorded",
        "AttendanceFactWithdrawn",  # the absence: no replacement
        "AttendanceFactWithdrawn",  # the summary, superseded by revision 2
        "AttendanceDayClosed",
    ]
    assert decided[1].payload.minutes_late == 20
    assert decided[2].payload.withdrawn_event_id == absence.event_id
    assert decided[2].payload.superseded_by_event_id is None
    assert decided[3].payload.withdrawn_event_id == closed_1.event_id
    assert decided[3].payload.superseded_by_event_id == decided[4].event_id
    assert decided[4].payload.revision == 2
    assert decided[4].payload.missing_clock_out is True
    assert (summary(d).revision, summary(d).worked_minutes) == (3, 520)
    assert set(d.day.facts) == {"LateArrivalRecorded", "AttendanceDayClosed"}


def test_a_correction_after_the_close_adds_punches_with_a_reason_and_compensates():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 0))
    [closed_1] = close(d)  # missing clock-out
    correction_id = uuid4()
    decided = d.run(
        CorrectDay(
            employee_id="E1",
            work_date=d.day.work_date,
            correction_id=correction_id,
            reason="badge reader at the exit was broken",
            corrected_by="S1",
            corrected_at=utc(2026, 3, 3, 2, 0),
            add=(PunchToAdd("out", utc(2026, 3, 2, 10, 0)),),
        )
    )
    assert types(decided) == [
        "AttendanceCorrected",
        "ClockedOut",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    corrected, added, withdrawn, closed_2 = decided
    assert corrected.payload.added_punch_ids == (added.payload.punch_id,)
    assert added.payload.source == "correction"
    assert added.payload.correction_id == correction_id
    assert withdrawn.payload.cause == "correction"
    assert withdrawn.payload.withdrawn_event_id == closed_1.event_id
    assert (closed_2.payload.worked_minutes, closed_2.payload.missing_clock_out) == (540, False)


def test_a_correction_voiding_the_only_punch_turns_the_day_into_an_absence():
    d = make_day()
    punch_id = uuid4()
    d.punch("in", utc(2026, 3, 2, 1, 30), punch_id=punch_id)
    close(d)
    decided = d.run(
        CorrectDay(
            "E1",
            d.day.work_date,
            uuid4(),
            "punched for a colleague",
            "S1",
            utc(2026, 3, 3, 2, 0),
            void=(punch_id,),
        )
    )
    assert types(decided) == [
        "AttendanceCorrected",
        "AttendanceFactWithdrawn",  # the late arrival
        "AbsenceRecorded",
        "AttendanceFactWithdrawn",  # summary revision 1
        "AttendanceDayClosed",
    ]
    assert d.day.punch(punch_id).voided


def test_leave_approved_after_the_close_turns_the_absence_excused():
    d = make_day()
    unexcused, _ = close(d)
    leave_id = uuid4()
    context = DayContext(
        timezone="Asia/Shanghai", schedule=schedule(), leave=ApprovedLeave(leave_id, "annual")
    )
    decided = d.run(ReevaluateDay("E1", d.day.work_date, "leave_decided"), context)
    assert types(decided) == [
        "AttendanceFactWithdrawn",
        "AbsenceRecorded",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    assert decided[0].payload.withdrawn_event_id == unexcused.event_id
    assert decided[1].payload.excused is True


def test_a_holiday_declared_after_the_close_withdraws_the_absence():
    d = make_day()
    close(d)
    context = DayContext(timezone="Asia/Shanghai", schedule=schedule(), holiday="Typhoon day")
    decided = d.run(ReevaluateDay("E1", d.day.work_date, "holiday_changed"), context)
    assert types(decided) == [
        "AttendanceFactWithdrawn",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    assert summary(d).day_kind == "holiday"
    assert d.day.facts.keys() == {"AttendanceDayClosed"}


def test_reevaluating_without_a_change_decides_nothing():
    d = make_day()
    d.punch("in", utc(2026, 3, 2, 1, 30))
    close(d)
    assert d.run(ReevaluateDay("E1", d.day.work_date, "schedule_changed")) == []


def consumer_view(log) -> dict:
    """What an order-insensitive consumer keeps: derived facts by id, less the withdrawn ones."""
    recorded = {e.event_id: e.payload.event_type for e in log if e.event_id is not None}
    derived = {event_id: kind for event_id, kind in recorded.items() if kind in DERIVED_ORDER}
    withdrawn = {
        e.payload.withdrawn_event_id
        for e in log
        if e.payload.event_type == "AttendanceFactWithdrawn"
    }
    return {event_id: kind for event_id, kind in derived.items() if event_id not in withdrawn}


def test_a_consumer_dropping_withdrawn_facts_counts_what_the_day_has_in_force_in_any_order():
    d = make_day()
    close(d)  # absence
    punch_id = uuid4()
    d.punch("in", utc(2026, 3, 2, 1, 30), punch_id=punch_id)  # late, absence withdrawn
    d.punch("out", utc(2026, 3, 2, 9, 0))  # early, summary revised
    d.run(
        CorrectDay(
            "E1",
            d.day.work_date,
            uuid4(),
            "wrong badge",
            "S1",
            utc(2026, 3, 4),
            add=(PunchToAdd("in", utc(2026, 3, 2, 0, 55)),),
            void=(punch_id,),
        )
    )
    in_force = {fact.event_id: kind for kind, fact in d.day.facts.items()}
    assert sorted(in_force.values()) == ["AttendanceDayClosed", "EarlyDepartureRecorded"]
    assert consumer_view(d.log) == in_force
    assert consumer_view(list(reversed(d.log))) == in_force


def test_a_batch_uploaded_after_the_close_revises_the_day_once_in_time_order():
    d = make_day()
    close(d)

    def punch(kind, at):
        return RecordPunch("E1", d.day.work_date, uuid4(), kind, at, "web", utc(2026, 3, 3))

    existing = punch("in", utc(2026, 3, 2, 0, 50))
    d.run(existing)
    batch = [
        punch("out", utc(2026, 3, 2, 10, 0)),  # listed before its clock-in
        existing,  # uploaded again
        punch("out", utc(2026, 3, 2, 0, 30)),  # before any clock-in
    ]
    outcome = decide_punch_batch(batch, d.day, d.context)
    assert outcome.duplicates == {1}
    assert list(outcome.refused) == [2]
    assert isinstance(outcome.refused[2], ClockOutBeforeClockIn)
    assert types(outcome.events) == [
        "ClockedOut",
        "AttendanceFactWithdrawn",
        "AttendanceDayClosed",
    ]
    assert outcome.events[-1].payload.worked_minutes == 550
