"""Schedules over time, the holiday calendar and leave requests."""

from datetime import date, time, timedelta
from uuid import uuid4

import pytest

from daybook_attendance.domain.calendar import (
    CancelHoliday,
    DeclareHoliday,
    HolidayCalendar,
    decide_cancel_holiday,
    decide_declare_holiday,
    evolve_calendar,
)
from daybook_attendance.domain.errors import (
    AlreadyDecided,
    HolidayClash,
    HolidayNotFound,
    InvalidCommand,
    RequestNotFound,
    RetroactiveSchedule,
)
from daybook_attendance.domain.leave import (
    DecideLeave,
    RequestLeave,
    decide_leave,
    decide_request_leave,
    evolve_leave,
)
from daybook_attendance.domain.schedules import (
    AssignWorkSchedule,
    ScheduleHistory,
    decide_assign_schedule,
    evolve_schedules,
)
from daybook_attendance.domain.timekeeping import day_end, day_start, local_instant
from daybook_shared.contracts.attendance import WorkScheduleAssigned

from .builders import utc


def assign(history, effective_from, timezone="Asia/Shanghai", assigned_at=None, **hours):
    command = AssignWorkSchedule(
        schedule_id=uuid4(),
        employee_id="E1",
        workdays=("mon", "tue", "wed", "thu", "fri"),
        starts_at=hours.get("starts_at", time(9)),
        ends_at=hours.get("ends_at", time(18)),
        late_grace_minutes=5,
        early_grace_minutes=5,
        timezone=timezone,
        effective_from=effective_from,
        assigned_at=assigned_at or utc(2026, 1, 1),
    )
    [decided] = decide_assign_schedule(command, history)
    assert isinstance(decided.payload, WorkScheduleAssigned)
    return evolve_schedules(history, decided.payload)


def test_the_schedule_in_force_is_the_latest_effective_one():
    history = assign(ScheduleHistory("E1"), date(2026, 1, 5))
    history = assign(history, date(2026, 2, 2), starts_at=time(8), ends_at=time(17))
    assert history.for_date(date(2026, 1, 4)) is None
    assert history.for_date(date(2026, 1, 30)).starts_at == time(9)
    assert history.for_date(date(2026, 2, 2)).starts_at == time(8)


def test_a_punch_falls_on_the_local_date_of_the_schedules_timezone():
    history = assign(ScheduleHistory("E1"), date(2026, 1, 1), timezone="Asia/Shanghai")
    # 20:30 UTC on 1 March is 04:30 on 2 March in Shanghai; the server (UTC) would say 1 March.
    assert history.work_date_of(utc(2026, 3, 1, 20, 30), "UTC") == (
        date(2026, 3, 2),
        "Asia/Shanghai",
    )
    assert ScheduleHistory("E1").work_date_of(utc(2026, 3, 1, 20, 30), "America/Chicago") == (
        date(2026, 3, 1),
        "America/Chicago",
    )


def test_a_schedule_cannot_start_in_the_past_of_its_timezone():
    # 17:00 UTC on 1 March is already 2 March in Shanghai.
    with pytest.raises(RetroactiveSchedule) as refused:
        assign(ScheduleHistory("E1"), date(2026, 3, 1), assigned_at=utc(2026, 3, 1, 17))
    assert refused.value.field == "effective_from"
    assign(ScheduleHistory("E1"), date(2026, 3, 2), assigned_at=utc(2026, 3, 1, 17))


def test_days_are_23_24_or_25_hours_long_in_a_daylight_saving_zone():
    zone = "Europe/Berlin"

    def length(day: date) -> timedelta:
        return day_end(day, zone) - day_start(day, zone)

    assert length(date(2026, 3, 29)) == timedelta(hours=23)
    assert length(date(2026, 3, 30)) == timedelta(hours=24)
    assert length(date(2026, 10, 25)) == timedelta(hours=25)
    assert day_end(date(2026, 10, 25), zone) == utc(2026, 10, 25, 23)
    # A time skipped by the spring-forward jump reads with the offset before it.
    assert local_instant(date(2026, 3, 29), time(2, 30), zone) == utc(2026, 3, 29, 1, 30)


def test_holidays_are_declared_once_and_cancelled_by_date():
    calendar = HolidayCalendar()
    [declared] = decide_declare_holiday(
        DeclareHoliday(date(2026, 5, 1), "Labour Day", utc(2026, 1, 1)), calendar
    )
    calendar = evolve_calendar(calendar, declared.payload)
    assert (
        decide_declare_holiday(
            DeclareHoliday(date(2026, 5, 1), "Labour Day", utc(2026, 1, 2)), calendar
        )
        == []
    )
    with pytest.raises(HolidayClash):
        decide_declare_holiday(DeclareHoliday(date(2026, 5, 1), "Other", utc(2026, 1, 2)), calendar)
    [cancelled] = decide_cancel_holiday(
        CancelHoliday(date(2026, 5, 1), "moved", utc(2026, 1, 3)), calendar
    )
    calendar = evolve_calendar(calendar, cancelled.payload)
    assert calendar.holidays == {}
    with pytest.raises(HolidayNotFound):
        decide_cancel_holiday(CancelHoliday(date(2026, 5, 1), "again", utc(2026, 1, 4)), calendar)


def test_a_leave_request_is_decided_once():
    request_id = uuid4()
    [requested] = decide_request_leave(
        RequestLeave(
            request_id, "E1", date(2026, 3, 2), date(2026, 3, 4), "annual", "trip", utc(2026, 2, 1)
        ),
        None,
    )
    request = evolve_leave(None, requested.payload)
    assert list(request.days()) == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    [approved] = decide_leave(DecideLeave(request_id, True, "S1", utc(2026, 2, 2)), request)
    assert approved.payload.event_type == "LeaveApproved"
    assert approved.payload.leave_type == "annual"
    request = evolve_leave(request, approved.payload)
    with pytest.raises(AlreadyDecided, match="already approved"):
        decide_leave(DecideLeave(request_id, False, "S1", utc(2026, 2, 3)), request)
    with pytest.raises(RequestNotFound):
        decide_leave(DecideLeave(uuid4(), True, "S1", utc(2026, 2, 3)), None)


def test_a_leave_request_must_run_forwards_and_not_too_long():
    with pytest.raises(InvalidCommand, match="before first_day"):
        decide_request_leave(
            RequestLeave(
                uuid4(), "E1", date(2026, 3, 4), date(2026, 3, 2), "sick", "x", utc(2026, 3, 1)
            ),
            None,
        )
    with pytest.raises(InvalidCommand, match="at most 366 days"):
        decide_request_leave(
            RequestLeave(
                uuid4(), "E1", date(2026, 1, 1), date(2027, 1, 2), "unpaid", "x", utc(2026, 1, 1)
            ),
            None,
        )
