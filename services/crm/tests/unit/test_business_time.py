from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from daybook_crm.domain.business_time import (
    BusinessHours,
    add_business_minutes,
    business_minutes_between,
    elapsed_minutes,
    require_not_future,
)
from daybook_shared.errors import InvalidCommand

HOURS = BusinessHours()  # Monday to Friday, 09:00-18:00
SHANGHAI = "Asia/Shanghai"


def local(zone: str, *args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_a_budget_inside_one_working_day_ends_the_same_day():
    start = local(SHANGHAI, 2026, 12, 1, 10, 0)  # Tuesday
    assert add_business_minutes(start, 120, HOURS, SHANGHAI) == local(SHANGHAI, 2026, 12, 1, 12, 0)


def test_a_budget_spills_over_the_weekend_to_monday():
    friday_late = local(SHANGHAI, 2026, 12, 4, 17, 0)
    due = add_business_minutes(friday_late, 240, HOURS, SHANGHAI)
    assert due == local(SHANGHAI, 2026, 12, 7, 12, 0)


def test_a_start_on_saturday_counts_from_monday_opening():
    saturday = local(SHANGHAI, 2026, 12, 5, 11, 30)
    due = add_business_minutes(saturday, 240, HOURS, SHANGHAI)
    assert due == local(SHANGHAI, 2026, 12, 7, 13, 0)


def test_a_start_before_opening_counts_from_opening():
    early = local(SHANGHAI, 2026, 12, 1, 6, 0)
    assert add_business_minutes(early, 30, HOURS, SHANGHAI) == local(SHANGHAI, 2026, 12, 1, 9, 30)


def test_holidays_are_not_working_days():
    hours = BusinessHours(holidays=frozenset({date(2026, 12, 7)}))
    friday_late = local(SHANGHAI, 2026, 12, 4, 17, 0)
    assert add_business_minutes(friday_late, 240, hours, SHANGHAI) == local(
        SHANGHAI, 2026, 12, 8, 12, 0
    )


def test_the_deadline_follows_the_zone_given():
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, 01:00 in London
    assert add_business_minutes(start, 60, HOURS, SHANGHAI) == datetime(
        2026, 12, 1, 2, 0, tzinfo=UTC
    )
    assert add_business_minutes(start, 60, HOURS, "Europe/London") == datetime(
        2026, 12, 1, 10, 0, tzinfo=UTC
    )


def test_business_minutes_between_skip_nights_and_weekends():
    friday_late = local(SHANGHAI, 2026, 12, 4, 17, 0)
    monday = local(SHANGHAI, 2026, 12, 7, 11, 0)
    assert business_minutes_between(friday_late, monday, HOURS, SHANGHAI) == 180
    assert elapsed_minutes(friday_late, monday) == 66 * 60


def test_business_minutes_are_exact_across_a_daylight_saving_change():
    zone = "America/New_York"  # clocks go forward on Sunday 2026-03-08
    friday = local(zone, 2026, 3, 6, 17, 0)
    monday = local(zone, 2026, 3, 9, 10, 0)
    assert business_minutes_between(friday, monday, HOURS, zone) == 120
    assert elapsed_minutes(friday, monday) == 64 * 60


def test_nothing_counts_when_the_end_is_not_after_the_start():
    start = local(SHANGHAI, 2026, 12, 1, 10, 0)
    assert business_minutes_between(start, start, HOURS, SHANGHAI) == 0
    assert elapsed_minutes(start, local(SHANGHAI, 2026, 12, 1, 9, 0)) == 0


def test_business_hours_need_a_workday_and_an_opening_before_closing():
    with pytest.raises(ValidationError, match="at least one workday"):
        BusinessHours(workdays=frozenset())
    with pytest.raises(ValidationError, match="open before they close"):
        BusinessHours(opens=time(18), closes=time(9))


def test_a_budget_below_one_minute_is_refused():
    with pytest.raises(ValueError, match="at least one minute"):
        add_business_minutes(local(SHANGHAI, 2026, 12, 1, 10), 0, HOURS, SHANGHAI)


def test_a_time_ahead_of_the_clock_is_refused_beyond_the_skew_tolerance():
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    require_not_future(datetime(2026, 12, 1, 10, 4, tzinfo=UTC), now, "at")
    with pytest.raises(InvalidCommand) as refused:
        require_not_future(datetime(2026, 12, 1, 10, 6, tzinfo=UTC), now, "received_at")
    assert refused.value.field == "received_at"
