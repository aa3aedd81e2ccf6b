from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import reduce
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from daybook_reporting.domain import goals
from daybook_reporting.domain.calendar import DeadlinePolicy, EmployeeCalendar
from daybook_shared.contracts import Money
from daybook_shared.contracts.reporting import GoalProgressReportMissed, GoalSet
from daybook_shared.errors import Conflict, Forbidden, InvalidCommand, NotFound

SHANGHAI = ZoneInfo("Asia/Shanghai")
TARGET_ID = UUID("00000000-0000-0000-0000-0000000000a1")
SET_AT = datetime(2026, 2, 20, 10, 0, tzinfo=SHANGHAI)
CALENDAR = EmployeeCalendar("E1", "Asia/Shanghai", employed_from=date(2026, 1, 1))


def cny(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="CNY")


def target_command(**overrides) -> goals.SetCompanyTarget:
    fields = {
        "target_id": TARGET_ID,
        "team_id": "T1",
        "metric": "sales_amount",
        "amount": cny("100000"),
        "count": None,
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "set_at": SET_AT,
    }
    return goals.SetCompanyTarget(**(fields | overrides))


def goal_command(**overrides) -> goals.SetGoal:
    fields = {
        "target_id": TARGET_ID,
        "employee_id": "E1",
        "employee_team_id": "T1",
        "amount": cny("60000"),
        "count": None,
        "cadence": "weekly",
        "set_at": SET_AT,
        "today": SET_AT.date(),
    }
    return goals.SetGoal(**(fields | overrides))


def target_state(*commands) -> goals.Target:
    state = goals.Target()
    for command in commands:
        decide = goals.set_target if isinstance(command, goals.SetCompanyTarget) else goals.set_goal
        state = reduce(goals.evolve_target, [r.payload for r in decide(command, state)], state)
    return state


def test_target_is_set_once():
    state = target_state(target_command())
    assert state.target.amount == cny("100000")
    assert state.target.partition_key() == "T1"
    with pytest.raises(Conflict, match="already set"):
        goals.set_target(target_command(), state)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": None, "count": 5}, None),
        ({"metric": "deals_won"}, None),
        ({"amount": cny("0")}, None),
        ({"period_end": date(2026, 2, 1)}, None),
        ({"amount": Money(amount=Decimal("1.5"), currency="CNY"), "metric": "new_customers"}, None),
    ],
)
def test_target_value_must_fit_the_metric_and_period(overrides, field):
    with pytest.raises(InvalidCommand) as refused:
        goals.set_target(target_command(**overrides), goals.Target())
    assert refused.value.field == field


def test_count_metric_target():
    state = target_state(target_command(metric="deals_won", amount=None, count=12))
    assert state.target.value() == Decimal(12)


def test_goal_derives_metric_period_and_scope_from_the_target():
    state = target_state(target_command())
    [recorded] = goals.set_goal(goal_command(), state)
    goal = recorded.payload
    assert isinstance(goal, GoalSet)
    assert (goal.metric, goal.period_start, goal.period_end, goal.team_id) == (
        "sales_amount",
        date(2026, 3, 1),
        date(2026, 3, 31),
        "T1",
    )
    assert goal.goal_id == goals.goal_id_for(TARGET_ID, "E1")
    assert (goal.employee_id, goal.amount, goal.revision) == ("E1", cny("60000"), 1)


def test_goal_for_an_unknown_target_is_refused():
    with pytest.raises(NotFound, match="unknown target") as refused:
        goals.set_goal(goal_command(), goals.Target())
    assert refused.value.field == "target_id"


def test_goal_for_someone_outside_the_team_is_refused():
    with pytest.raises(InvalidCommand, match="not in team T1") as refused:
        goals.set_goal(goal_command(employee_team_id="T2"), target_state(target_command()))
    assert refused.value.field == "employee_id"


def test_company_target_takes_goals_from_any_team():
    state = target_state(target_command(team_id=None))
    [recorded] = goals.set_goal(goal_command(employee_team_id="T9"), state)
    assert recorded.payload.team_id is None


def test_goal_in_another_currency_or_unit_is_refused():
    state = target_state(target_command())
    with pytest.raises(InvalidCommand) as refused:
        goals.set_goal(goal_command(amount=Money(amount=Decimal(5), currency="USD")), state)
    assert refused.value.field == "amount.currency"
    with pytest.raises(InvalidCommand, match="takes an amount"):
        goals.set_goal(goal_command(amount=None, count=3), state)


def test_goal_cannot_change_after_the_target_period():
    state = target_state(target_command(), goal_command())
    with pytest.raises(Conflict, match="can no longer be set"):
        goals.set_goal(goal_command(amount=cny("1"), today=date(2026, 4, 1)), state)


def test_revising_a_goal_raises_its_revision_and_same_value_records_nothing():
    state = target_state(target_command(), goal_command())
    assert goals.set_goal(goal_command(), state) == []
    [recorded] = goals.set_goal(goal_command(amount=cny("70000")), state)
    assert recorded.payload.revision == 2
    assert recorded.payload.goal_id == goals.goal_id_for(TARGET_ID, "E1")


def test_goals_that_do_not_cover_the_target_show_the_shortfall():
    state = target_state(
        target_command(),
        goal_command(),
        goal_command(employee_id="E2", amount=cny("30000")),
    )
    check = goals.coverage(state)
    assert (check.covered, check.allocated, check.shortfall, check.goal_count) == (
        False,
        Decimal("90000"),
        Decimal("10000"),
        2,
    )


def test_goals_that_cover_the_target():
    state = target_state(
        target_command(),
        goal_command(),
        goal_command(employee_id="E2", amount=cny("45000")),
    )
    check = goals.coverage(state)
    assert (check.covered, check.shortfall) == (True, Decimal(0))


def a_goal(**overrides) -> GoalSet:
    [recorded] = goals.set_goal(goal_command(**overrides), target_state(target_command()))
    return recorded.payload


def test_weekly_periods_are_iso_weeks_clipped_to_the_goal():
    periods = goals.progress_periods(a_goal())
    # March 2026 starts on a Sunday.
    assert periods[0] == (date(2026, 3, 1), date(2026, 3, 1))
    assert periods[1] == (date(2026, 3, 2), date(2026, 3, 8))
    assert periods[-1] == (date(2026, 3, 30), date(2026, 3, 31))
    assert len(periods) == 6


def test_monthly_periods_are_calendar_months():
    goal = a_goal(cadence="monthly").model_copy(update={"period_end": date(2026, 5, 15)})
    assert goals.progress_periods(goal) == [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 5, 15)),
    ]


def progress_command(of_goal: GoalSet, **overrides) -> goals.ReportGoalProgress:
    fields = {
        "goal_id": of_goal.goal_id,
        "goal": of_goal,
        "reporter_id": "E1",
        "period_start": date(2026, 3, 2),
        "amount": cny("15000"),
        "count": None,
        "narrative": "Closed two renewals",
        "next_period_plan": "Push the enterprise bundle",
        "submitted_at": datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI),
        "calendar": CALENDAR,
        "policy": DeadlinePolicy(),
    }
    return goals.ReportGoalProgress(**(fields | overrides))


def progress_state(*recorded_lists) -> goals.GoalProgress:
    payloads = [r.payload for recorded in recorded_lists for r in recorded]
    return reduce(goals.evolve_progress, payloads, goals.GoalProgress())


def test_weekly_progress_is_due_at_the_start_of_the_next_working_day():
    [recorded] = goals.report_progress(progress_command(a_goal()), goals.GoalProgress())
    report = recorded.payload
    assert (report.period_start, report.period_end, report.cadence) == (
        date(2026, 3, 2),
        date(2026, 3, 8),
        "weekly",
    )
    assert report.deadline == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
    assert (report.on_time, report.amount, report.next_period_plan) == (
        True,
        cny("15000"),
        "Push the enterprise bundle",
    )


def test_monthly_progress_report():
    goal = a_goal(cadence="monthly")
    command = progress_command(
        goal,
        period_start=date(2026, 3, 1),
        submitted_at=datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI),
    )
    [recorded] = goals.report_progress(command, goals.GoalProgress())
    assert (recorded.payload.period_end, recorded.payload.on_time) == (date(2026, 3, 31), False)
    assert recorded.payload.deadline == datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI)


def test_progress_for_an_unknown_goal_is_refused():
    goal = a_goal()
    with pytest.raises(NotFound, match="unknown goal") as refused:
        goals.report_progress(progress_command(goal, goal=None), goals.GoalProgress())
    assert refused.value.field == "goal_id"


def test_progress_on_another_employees_goal_is_refused():
    with pytest.raises(Forbidden, match="belongs to E1"):
        goals.report_progress(progress_command(a_goal(), reporter_id="E2"), goals.GoalProgress())


def test_progress_for_a_period_that_does_not_exist_is_refused():
    with pytest.raises(InvalidCommand, match="does not start a weekly period") as refused:
        goals.report_progress(
            progress_command(a_goal(), period_start=date(2026, 3, 4)), goals.GoalProgress()
        )
    assert refused.value.field == "period_start"


def test_progress_for_a_period_not_yet_begun_is_refused():
    with pytest.raises(InvalidCommand, match="has not begun"):
        goals.report_progress(
            progress_command(a_goal(), period_start=date(2026, 3, 9)), goals.GoalProgress()
        )


def test_progress_is_reported_once_per_period():
    goal = a_goal()
    first = goals.report_progress(progress_command(goal), goals.GoalProgress())
    with pytest.raises(Conflict, match="already reported"):
        goals.report_progress(progress_command(goal), progress_state(first))


def test_achieved_value_must_fit_the_goal():
    goal = a_goal()
    with pytest.raises(InvalidCommand) as refused:
        goals.report_progress(
            progress_command(goal, amount=Money(amount=Decimal(1), currency="EUR")),
            goals.GoalProgress(),
        )
    assert refused.value.field == "amount.currency"
    with pytest.raises(InvalidCommand, match="takes an amount"):
        goals.report_progress(progress_command(goal, amount=None, count=2), goals.GoalProgress())
    with pytest.raises(InvalidCommand) as refused:
        goals.report_progress(progress_command(goal, narrative=" "), goals.GoalProgress())
    assert refused.value.field == "narrative"


def missed_command(goal: GoalSet, **overrides) -> goals.RecordMissedProgressReport:
    fields = {
        "goal": goal,
        "period_start": date(2026, 3, 2),
        "now": datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI),
        "calendar": CALENDAR,
        "policy": DeadlinePolicy(),
    }
    return goals.RecordMissedProgressReport(**(fields | overrides))


def test_missed_progress_report_is_recorded_at_its_deadline_once():
    goal = a_goal()
    [recorded] = goals.record_missed_progress(missed_command(goal), goals.GoalProgress())
    assert isinstance(recorded.payload, GoalProgressReportMissed)
    assert recorded.occurred_at == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
    assert recorded.event_id == goals.missed_progress_event_id(goal.goal_id, date(2026, 3, 2))
    assert goals.record_missed_progress(missed_command(goal), progress_state([recorded])) == []


def test_no_missed_progress_before_the_deadline_or_after_an_on_time_report():
    goal = a_goal()
    early = missed_command(goal, now=datetime(2026, 3, 9, 8, 59, tzinfo=SHANGHAI))
    assert goals.record_missed_progress(early, goals.GoalProgress()) == []
    reported = goals.report_progress(progress_command(goal), goals.GoalProgress())
    assert goals.record_missed_progress(missed_command(goal), progress_state(reported)) == []


def test_no_progress_is_due_after_the_employee_left():
    goal = a_goal()
    gone = replace(CALENDAR, employed_until=date(2026, 3, 5))
    assert (
        goals.record_missed_progress(missed_command(goal, calendar=gone), goals.GoalProgress())
        == []
    )


def test_late_progress_after_a_missed_record_keeps_that_deadline():
    goal = a_goal()
    missed = goals.record_missed_progress(missed_command(goal), goals.GoalProgress())
    late = progress_command(goal, submitted_at=datetime(2026, 3, 9, 11, 0, tzinfo=SHANGHAI))
    [recorded] = goals.report_progress(late, progress_state(missed))
    assert recorded.payload.on_time is False
    assert recorded.payload.deadline == missed[0].payload.deadline


def test_missed_for_an_unknown_period_records_nothing():
    goal = a_goal()
    command = missed_command(goal, period_start=date(2026, 3, 3))
    assert goals.record_missed_progress(command, goals.GoalProgress()) == []


def test_missed_progress_waits_for_the_last_period_day():
    goal = a_goal()
    command = missed_command(
        goal, period_start=date(2026, 3, 30), now=datetime(2026, 3, 31, 20, 0, tzinfo=SHANGHAI)
    )
    assert goals.record_missed_progress(command, goals.GoalProgress()) == []
    later = replace(command, now=datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI))
    assert len(goals.record_missed_progress(later, goals.GoalProgress())) == 1
