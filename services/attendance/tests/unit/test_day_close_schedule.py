"""Which days the scheduled close picks: ended in their own timezone, in order, while employed."""

from datetime import date, time
from uuid import uuid4

from daybook_attendance.domain.day_close import days_to_close
from daybook_attendance.domain.schedules import ScheduleHistory, evolve_schedules
from daybook_shared.contracts.attendance import WorkScheduleAssigned

from .builders import utc


def history(effective_from=date(2026, 3, 2), timezone="Asia/Shanghai") -> ScheduleHistory:
    return evolve_schedules(
        ScheduleHistory("E1"),
        WorkScheduleAssigned(
            schedule_id=uuid4(),
            employee_id="E1",
            workdays=("mon", "tue", "wed", "thu", "fri"),
            starts_at=time(9),
            ends_at=time(18),
            late_grace_minutes=5,
            early_grace_minutes=5,
            timezone=timezone,
            effective_from=effective_from,
        ),
    )


def due(now, **overrides):
    arguments = {
        "roster_timezone": "UTC",
        "hired_on": date(2026, 1, 1),
        "left_on": None,
        "closed_through": None,
        "now": now,
        **overrides,
    }
    return days_to_close(history(), **arguments)


def test_a_day_is_due_once_it_has_ended_in_the_schedules_timezone_not_the_servers():
    # Monday 2 March ends at 16:00 UTC in Shanghai, while the server's UTC day runs to midnight.
    assert due(utc(2026, 3, 2, 15, 59)) == []
    assert due(utc(2026, 3, 2, 16, 0)) == [date(2026, 3, 2)]


def test_days_are_closed_in_order_from_the_watermark_including_weekends():
    assert due(utc(2026, 3, 9, 16), closed_through=date(2026, 3, 5)) == [
        date(2026, 3, 6),
        date(2026, 3, 7),
        date(2026, 3, 8),
        date(2026, 3, 9),
    ]


def test_nothing_before_the_first_schedule_or_the_hiring_nor_after_leaving():
    assert due(utc(2026, 3, 6, 16), hired_on=date(2026, 3, 4), left_on=date(2026, 3, 5)) == [
        date(2026, 3, 4),
        date(2026, 3, 5),
    ]
    assert (
        days_to_close(
            ScheduleHistory("E1"),
            roster_timezone="UTC",
            hired_on=date(2026, 1, 1),
            left_on=None,
            closed_through=None,
            now=utc(2026, 3, 6),
        )
        == []
    )


def test_one_run_closes_a_bounded_number_of_days():
    assert len(due(utc(2026, 12, 31), limit=10)) == 10
