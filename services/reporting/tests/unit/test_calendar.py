from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from daybook_reporting.domain.calendar import DeadlinePolicy, EmployeeCalendar, WorkSchedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-03-02 is a Monday.
MONDAY = date(2026, 3, 2)
FRIDAY = date(2026, 3, 6)
SATURDAY = date(2026, 3, 7)
NEXT_MONDAY = date(2026, 3, 9)


def calendar(**overrides) -> EmployeeCalendar:
    fields = {"employee_id": "E1", "timezone": "Asia/Shanghai", "employed_from": date(2026, 1, 1)}
    return EmployeeCalendar(**(fields | overrides))


def test_default_schedule_works_monday_to_friday():
    cal = calendar()
    assert [cal.status(date(2026, 3, d)) for d in range(2, 9)] == [
        "working",
        "working",
        "working",
        "working",
        "working",
        "weekend",
        "weekend",
    ]


def test_holiday_leave_and_employment_are_not_working_days():
    cal = calendar(
        holidays=frozenset({date(2026, 3, 3)}),
        leave_days=frozenset({date(2026, 3, 4)}),
        employed_until=date(2026, 3, 6),
    )
    assert cal.status(date(2026, 3, 3)) == "holiday"
    assert cal.status(date(2026, 3, 4)) == "on_leave"
    assert cal.status(FRIDAY) == "not_employed"
    assert cal.status(date(2025, 12, 31)) == "not_employed"


def test_schedule_in_force_on_the_day_decides_the_workdays():
    weekend_shift = WorkSchedule(frozenset({6, 7}), time(10, 0), time(19, 0))
    cal = calendar(schedules=((date(2026, 3, 7), weekend_shift),))
    assert cal.status(FRIDAY) == "working"
    assert cal.status(SATURDAY) == "working"
    assert cal.status(NEXT_MONDAY) == "weekend"
    assert cal.start_of_work(SATURDAY) == datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI)


def test_default_deadline_is_the_start_of_the_next_working_day_in_the_employee_zone():
    cal = calendar()
    policy = DeadlinePolicy()
    assert policy.deadline(cal, MONDAY) == datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert policy.deadline(cal, FRIDAY) == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


def test_deadline_skips_holidays_and_leave():
    cal = calendar(holidays=frozenset({NEXT_MONDAY}), leave_days=frozenset({date(2026, 3, 10)}))
    assert DeadlinePolicy().deadline(cal, FRIDAY) == datetime(2026, 3, 11, 9, 0, tzinfo=SHANGHAI)


def test_deadline_follows_the_zone_across_daylight_saving():
    cal = calendar(timezone="America/New_York")
    # New York moves its clocks forward on 2026-03-08: 09:00 on 03-09 is 13:00 UTC, not 14:00.
    deadline = DeadlinePolicy().deadline(cal, FRIDAY)
    assert deadline.utcoffset().total_seconds() == -4 * 3600
    assert deadline.astimezone(ZoneInfo("UTC")).hour == 13


def test_same_day_policy_and_parsing():
    assert DeadlinePolicy.parse("next_working_day_start") == DeadlinePolicy()
    policy = DeadlinePolicy.parse("same_day_at:20:30")
    assert policy.deadline(calendar(), MONDAY) == datetime(2026, 3, 2, 20, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", ["tomorrow", "same_day_at:25:00", "same_day_at:8:00", ""])
def test_unknown_policy_text_is_refused(text):
    with pytest.raises(ValueError, match="deadline policy"):
        DeadlinePolicy.parse(text)


def test_no_working_day_within_reach_falls_back_to_the_next_morning():
    cal = calendar(schedules=((date(2026, 1, 1), WorkSchedule(workdays=frozenset())),))
    assert cal.next_working_day(MONDAY) is None
    assert DeadlinePolicy().deadline(cal, MONDAY) == datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)


def test_local_date_is_the_day_in_the_employee_zone():
    cal = calendar()
    late_evening_utc = datetime(2026, 3, 2, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert cal.local_date(late_evening_utc) == date(2026, 3, 3)
