"""The simulation's plan, pure: the same seed gives the same month, and the plan keeps the promises
the end-to-end tests and the demo rely on (no I/O here)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from daybook_cli.simulation import (
    Calendar,
    Profile,
    SpanError,
    organisation_of,
    plan_span,
    sample_organisation,
)
from daybook_cli.simulation.plan import (
    AskLateArrival,
    CloseDays,
    OpenPeriod,
    SubmitDailyReport,
    SweepReports,
    UploadPunches,
)

SEPTEMBER = Calendar(
    date(2026, 9, 1), date(2026, 9, 30), "Asia/Shanghai", {date(2026, 9, 25): "Mid-Autumn"}
)


def september(seed: int = 7):
    organisation = sample_organisation(hired_on=date(2025, 9, 1), seed=seed)
    return plan_span(organisation, SEPTEMBER, seed=seed, period_id="2026-09")


def test_the_same_seed_plans_the_same_month_and_another_seed_another():
    assert september(7) == september(7)
    assert september(7).moments != september(8).moments


def test_the_plan_runs_from_the_day_before_until_the_last_deadline_has_passed():
    plan = september()
    first, last = plan.moments[0], plan.moments[-1]
    assert first.at.date() == date(2026, 8, 31) and first.settle_after
    assert any(isinstance(a, OpenPeriod) for a in first.actions)
    # The span ends on a Wednesday: the last report is due Thursday 1 October at 09:00.
    assert last.at.isoformat() == "2026-10-01T10:30:00+08:00" and last.settle_after
    assert [type(a) for a in last.actions][:2] == [CloseDays, SweepReports]
    assert [m.at for m in plan.moments] == sorted(m.at for m in plan.moments)


def test_nothing_happens_on_the_holiday_and_no_report_is_filed_for_it():
    plan = september()
    holiday = date(2026, 9, 25)
    assert not [m for m in plan.moments if m.at.date() == holiday]
    reports = [a for m in plan.moments for a in m.actions if isinstance(a, SubmitDailyReport)]
    assert reports and all(a.day != holiday and a.day.weekday() < 5 for a in reports)


def test_a_request_made_in_advance_comes_before_the_start_and_one_made_late_after_it():
    plan = september()
    for moment in plan.moments:
        for action in moment.actions:
            if isinstance(action, AskLateArrival):
                assert moment.at.date() == action.day
                assert moment.at.hour in (8, 10)  # 08:00 in advance, 10:30 after the start


def test_every_working_day_every_present_person_punches_in_and_out_through_the_reader():
    plan = september()
    uploads = [a for m in plan.moments for a in m.actions if isinstance(a, UploadPunches)]
    assert {u.device_id for u in uploads} == {"door-T1", "door-T2", "door-T3"}
    for upload in uploads:
        kinds: dict[str, list[str]] = {}
        for punch in upload.punches:
            kinds.setdefault(punch.employee_id, []).append(punch.kind)
        assert all(k == ["in", "out"] for k in kinds.values())


def test_the_cast_is_expected_to_meet_the_discipline_it_was_cast_for():
    expected = september().expected
    assert expected["E003"]["late_arrival_unexcused"].count >= 3  # the chronic late-comer
    assert expected["E015"]["gift_accepted"].count == 1  # the gift acceptor
    assert expected["E022"]["daily_report_missed"].count >= 3  # the sloppy reporter


def test_a_profile_that_does_not_fit_the_span_is_refused_with_a_reason():
    organisation = organisation_of(
        {"T1": ("Hui Sun", [("E01", "Lin Wang", Profile(name="late", late_unexcused=8))])},
        hired_on=date(2025, 9, 1),
    )
    week = Calendar(date(2026, 9, 7), date(2026, 9, 7) + timedelta(days=6), "Asia/Shanghai")
    with pytest.raises(SpanError, match=r"E01 \(late\) needs 8 days"):
        plan_span(organisation, week, seed=1, period_id="w")
