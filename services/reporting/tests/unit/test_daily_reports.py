from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

import pytest

from daybook_reporting.domain import daily_reports as reports
from daybook_reporting.domain.calendar import DeadlinePolicy, EmployeeCalendar
from daybook_shared.contracts.reporting import DailyReportMissed, DailyReportSubmitted
from daybook_shared.errors import Conflict, InvalidCommand, NotFound

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)
SATURDAY = date(2026, 3, 7)
CALENDAR = EmployeeCalendar("E1", "Asia/Shanghai", employed_from=date(2026, 1, 1))
# The Monday report is due at the start of Tuesday, 09:00 in Shanghai.
DEADLINE = datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)


def submit_command(**overrides) -> reports.SubmitDailyReport:
    fields = {
        "employee_id": "E1",
        "report_date": MONDAY,
        "work": "Visited three prospects",
        "progress": "Two demos booked",
        "challenges": "Pricing objections",
        "solutions": "Offered the annual plan",
        "submitted_at": datetime(2026, 3, 2, 18, 30, tzinfo=SHANGHAI),
        "supervisor_id": "S1",
        "calendar": CALENDAR,
        "policy": DeadlinePolicy(),
    }
    return reports.SubmitDailyReport(**(fields | overrides))


def missed_command(**overrides) -> reports.RecordMissedDailyReport:
    fields = {
        "employee_id": "E1",
        "report_date": MONDAY,
        "now": DEADLINE,
        "supervisor_id": "S1",
        "calendar": CALENDAR,
        "policy": DeadlinePolicy(),
    }
    return reports.RecordMissedDailyReport(**(fields | overrides))


def history(*recorded_lists) -> reports.DailyReport:
    payloads = [r.payload for recorded in recorded_lists for r in recorded]
    return reduce(reports.evolve, payloads, reports.DailyReport())


def test_report_before_the_deadline_is_on_time_and_routed_to_the_supervisor():
    [recorded] = reports.submit(submit_command(), reports.DailyReport())
    payload = recorded.payload
    assert isinstance(payload, DailyReportSubmitted)
    assert (payload.on_time, payload.revision, payload.supervisor_id) == (True, 1, "S1")
    assert payload.deadline == DEADLINE
    assert recorded.occurred_at == datetime(2026, 3, 2, 18, 30, tzinfo=SHANGHAI)


def test_report_after_the_deadline_is_late():
    late = submit_command(submitted_at=DEADLINE + timedelta(minutes=1))
    [recorded] = reports.submit(late, reports.DailyReport())
    assert recorded.payload.on_time is False


def test_report_exactly_at_the_deadline_is_on_time():
    [recorded] = reports.submit(submit_command(submitted_at=DEADLINE), reports.DailyReport())
    assert recorded.payload.on_time is True


def test_amendment_before_the_deadline_keeps_the_first_revision():
    first = reports.submit(submit_command(), reports.DailyReport())
    amended = submit_command(
        progress="Three demos booked", submitted_at=DEADLINE - timedelta(minutes=5)
    )
    second = reports.submit(amended, history(first))
    state = history(first, second)
    assert [r.revision for r in state.revisions] == [1, 2]
    assert [r.progress for r in state.revisions] == ["Two demos booked", "Three demos booked"]
    assert state.latest.on_time is True


def test_amendment_after_the_deadline_is_refused():
    first = reports.submit(submit_command(), reports.DailyReport())
    with pytest.raises(Conflict, match="can no longer be amended"):
        reports.submit(submit_command(submitted_at=DEADLINE + timedelta(seconds=1)), history(first))


def test_amendment_keeps_the_deadline_fixed_at_the_first_submission():
    first = reports.submit(submit_command(), reports.DailyReport())
    # Leave approved for Tuesday afterwards would move a fresh deadline to Wednesday.
    later_calendar = replace(CALENDAR, leave_days=frozenset({date(2026, 3, 3)}))
    amended = submit_command(submitted_at=DEADLINE + timedelta(hours=1), calendar=later_calendar)
    with pytest.raises(Conflict):
        reports.submit(amended, history(first))


@pytest.mark.parametrize(
    ("calendar", "reason"),
    [
        (CALENDAR, "not one of their workdays"),
        (replace(CALENDAR, holidays=frozenset({SATURDAY})), "not one of their workdays"),
    ],
)
def test_no_report_is_due_on_a_weekend(calendar, reason):
    command = submit_command(
        report_date=SATURDAY,
        calendar=calendar,
        submitted_at=datetime(2026, 3, 7, 18, 0, tzinfo=SHANGHAI),
    )
    with pytest.raises(InvalidCommand, match=reason) as refused:
        reports.submit(command, reports.DailyReport())
    assert refused.value.field == "report_date"


def test_no_report_is_due_on_a_holiday_or_on_leave():
    holiday = replace(CALENDAR, holidays=frozenset({MONDAY}))
    with pytest.raises(InvalidCommand, match="a holiday"):
        reports.submit(submit_command(calendar=holiday), reports.DailyReport())
    on_leave = replace(CALENDAR, leave_days=frozenset({MONDAY}))
    with pytest.raises(InvalidCommand, match="approved leave"):
        reports.submit(submit_command(calendar=on_leave), reports.DailyReport())


def test_a_report_for_a_day_not_yet_begun_is_refused():
    early = submit_command(submitted_at=datetime(2026, 3, 1, 23, 0, tzinfo=SHANGHAI))
    with pytest.raises(InvalidCommand, match="has not begun") as refused:
        reports.submit(early, reports.DailyReport())
    assert refused.value.field == "report_date"


def test_day_boundary_is_the_employee_zone_not_utc():
    # 2026-03-01 17:00 UTC is already 01:00 on Monday in Shanghai: Monday's report may start.
    at = datetime(2026, 3, 1, 17, 0, tzinfo=ZoneInfo("UTC"))
    [recorded] = reports.submit(submit_command(submitted_at=at), reports.DailyReport())
    assert recorded.payload.report_date == MONDAY


def test_deadline_across_a_timezone():
    new_york = replace(CALENDAR, timezone="America/New_York")
    # 13:30 UTC on Tuesday is 08:30 in New York: still before the 09:00 start there.
    at = datetime(2026, 3, 3, 13, 30, tzinfo=ZoneInfo("UTC"))
    [recorded] = reports.submit(
        submit_command(calendar=new_york, submitted_at=at), reports.DailyReport()
    )
    assert recorded.payload.on_time is True
    assert recorded.payload.deadline == datetime(2026, 3, 3, 14, 0, tzinfo=ZoneInfo("UTC"))
    # The same instant in Shanghai (21:30 on Tuesday) is long after 09:00: late.
    [recorded] = reports.submit(submit_command(submitted_at=at), reports.DailyReport())
    assert recorded.payload.on_time is False


def test_empty_challenges_are_refused_naming_the_field():
    with pytest.raises(InvalidCommand) as refused:
        reports.submit(submit_command(challenges="   "), reports.DailyReport())
    assert refused.value.field == "challenges"


def test_overlong_work_is_refused_naming_the_field():
    with pytest.raises(InvalidCommand) as refused:
        reports.submit(submit_command(work="x" * 4001), reports.DailyReport())
    assert refused.value.field == "work"


def test_missed_is_recorded_at_the_deadline_with_a_derived_id():
    [recorded] = reports.record_missed(missed_command(), reports.DailyReport())
    assert isinstance(recorded.payload, DailyReportMissed)
    assert recorded.occurred_at == DEADLINE
    assert recorded.event_id == reports.missed_report_event_id("E1", MONDAY)
    again = reports.record_missed(
        missed_command(now=DEADLINE + timedelta(days=3)), reports.DailyReport()
    )
    assert again[0].event_id == recorded.event_id


def test_nothing_is_missed_before_the_deadline():
    command = missed_command(now=DEADLINE - timedelta(seconds=1))
    assert reports.record_missed(command, reports.DailyReport()) == []


def test_nothing_is_missed_twice():
    first = reports.record_missed(missed_command(), reports.DailyReport())
    assert reports.record_missed(missed_command(), history(first)) == []


def test_an_on_time_report_is_not_missed():
    submitted = reports.submit(submit_command(), reports.DailyReport())
    assert reports.record_missed(missed_command(), history(submitted)) == []


def test_a_late_report_still_means_nothing_was_in_by_the_deadline():
    late = reports.submit(
        submit_command(submitted_at=DEADLINE + timedelta(hours=2)), reports.DailyReport()
    )
    [recorded] = reports.record_missed(
        missed_command(now=DEADLINE + timedelta(hours=3)), history(late)
    )
    assert recorded.occurred_at == DEADLINE


def test_late_report_after_a_missed_record_keeps_its_deadline():
    missed = reports.record_missed(missed_command(), reports.DailyReport())
    [recorded] = reports.submit(
        submit_command(submitted_at=DEADLINE + timedelta(hours=1)), history(missed)
    )
    assert (recorded.payload.on_time, recorded.payload.deadline) == (False, DEADLINE)


@pytest.mark.parametrize(
    "calendar",
    [
        replace(CALENDAR, holidays=frozenset({MONDAY})),
        replace(CALENDAR, leave_days=frozenset({MONDAY})),
        replace(CALENDAR, employed_from=date(2026, 3, 3)),
    ],
)
def test_nothing_is_missed_on_a_day_off(calendar):
    assert reports.record_missed(missed_command(calendar=calendar), reports.DailyReport()) == []


def test_nothing_is_missed_on_a_weekend():
    command = missed_command(report_date=SATURDAY, now=DEADLINE + timedelta(days=7))
    assert reports.record_missed(command, reports.DailyReport()) == []


def review_command(**overrides) -> reports.ReviewDailyReport:
    fields = {
        "employee_id": "E1",
        "report_date": MONDAY,
        "reviewer_id": "S1",
        "comment": "Good, follow up on pricing",
        "reviewed_at": DEADLINE,
    }
    return reports.ReviewDailyReport(**(fields | overrides))


def test_review_comments_on_the_latest_revision_by_default():
    first = reports.submit(submit_command(), reports.DailyReport())
    second = reports.submit(submit_command(work="Visited four prospects"), history(first))
    [recorded] = reports.review(review_command(), history(first, second))
    assert (recorded.payload.revision, recorded.payload.reviewer_id) == (2, "S1")


def test_review_of_a_missing_report_or_revision_is_refused():
    with pytest.raises(NotFound, match="no report"):
        reports.review(review_command(), reports.DailyReport())
    first = reports.submit(submit_command(), reports.DailyReport())
    with pytest.raises(NotFound, match="no revision 2") as refused:
        reports.review(review_command(revision=2), history(first))
    assert refused.value.field == "revision"


def test_empty_review_comment_is_refused():
    first = reports.submit(submit_command(), reports.DailyReport())
    with pytest.raises(InvalidCommand) as refused:
        reports.review(review_command(comment=""), history(first))
    assert refused.value.field == "comment"


def withdraw_command(calendar: EmployeeCalendar) -> reports.WithdrawMissedDailyReport:
    return reports.WithdrawMissedDailyReport("E1", MONDAY, calendar)


def test_leave_approved_after_the_deadline_withdraws_the_missed_record_once():
    missed = reports.record_missed(missed_command(), reports.DailyReport())
    on_leave = replace(CALENDAR, leave_days=frozenset({MONDAY}))
    [recorded] = reports.withdraw_missed(withdraw_command(on_leave), history(missed))
    assert recorded.payload.withdrawn_event_id == missed[0].event_id
    assert recorded.payload.day_status == "on_leave"
    assert recorded.occurred_at == DEADLINE
    again = reports.withdraw_missed(withdraw_command(on_leave), history(missed))
    assert again[0].event_id == recorded.event_id
    assert reports.withdraw_missed(withdraw_command(on_leave), history(missed, [recorded])) == []
    # Withdrawn, the day is not demanded again.
    later = missed_command(calendar=on_leave, now=DEADLINE + timedelta(days=2))
    assert reports.record_missed(later, history(missed, [recorded])) == []


def test_nothing_is_withdrawn_while_the_day_is_still_a_working_day_or_nothing_was_missed():
    missed = reports.record_missed(missed_command(), reports.DailyReport())
    assert reports.withdraw_missed(withdraw_command(CALENDAR), history(missed)) == []
    holiday = replace(CALENDAR, holidays=frozenset({MONDAY}))
    assert reports.withdraw_missed(withdraw_command(holiday), reports.DailyReport()) == []
