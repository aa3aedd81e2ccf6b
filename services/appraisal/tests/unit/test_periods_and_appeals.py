"""Periods (open pins the policy, close after the last day) and appeals, as pure decisions."""

from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from daybook_appraisal.domain.facts import Window
from daybook_appraisal.domain.model import (
    ClosePeriod,
    DecideAppeal,
    FileAppeal,
    OpenPeriod,
    PeriodState,
    appeal_id_for,
    close_due_at,
    close_period,
    decide_appeal,
    evolve_period,
    file_appeal,
    open_period,
    record_of,
)
from daybook_shared.contracts.appraisal import (
    AppealDecided,
    AppealFiled,
    AppraisalPeriodClosed,
    AppraisalPeriodOpened,
    DisciplinaryActionIssued,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.ids import derived_id

from .builders import default_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 1, 9, tzinfo=SHANGHAI)


def opening(period_id="2026-11", starts=date(2026, 11, 1), ends=date(2026, 11, 30)):
    return OpenPeriod(period_id, starts, ends, "Asia/Shanghai", default_policy(), AT)


def opened_state(command=None):
    [event] = open_period(command or opening(), PeriodState(), [])
    return evolve_period(PeriodState(), event.payload)


def test_opening_a_period_pins_the_policy_version_and_text():
    [event] = open_period(opening(), PeriodState(), [])
    assert isinstance(event.payload, AppraisalPeriodOpened)
    assert event.payload.policy_version == "2026.1"
    assert event.payload.policy_sha256 == default_policy().sha256
    assert event.event_id == derived_id("appraisal", "AppraisalPeriodOpened", "2026-11")


def test_opening_again_the_same_way_changes_nothing_and_differently_is_refused():
    state = opened_state()
    assert open_period(opening(), state, []) == []
    with pytest.raises(Conflict, match="already open for 2026-11-01 to 2026-11-30"):
        open_period(opening(ends=date(2026, 11, 29)), state, [])


def test_periods_may_not_overlap():
    other = [("2026-10", Window(date(2026, 10, 1), date(2026, 11, 2)))]
    with pytest.raises(Conflict, match="would overlap period 2026-10"):
        open_period(opening(), PeriodState(), other)


def test_a_period_must_end_after_it_starts():
    with pytest.raises(InvalidCommand) as refused:
        open_period(opening(ends=date(2026, 10, 30)), PeriodState(), [])
    assert refused.value.field == "ends_on"


def test_a_period_closes_only_after_its_last_day_has_ended_in_its_timezone():
    state = opened_state()
    before = datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI)
    with pytest.raises(Conflict, match="can close from 2026-12-01T00:00:00\\+08:00"):
        close_period(ClosePeriod("2026-11", 3, before), state)
    [event] = close_period(ClosePeriod("2026-11", 3, datetime(2026, 12, 1, tzinfo=SHANGHAI)), state)
    assert event.payload == AppraisalPeriodClosed(
        period_id="2026-11", policy_version="2026.1", appraised_count=3
    )
    closed = evolve_period(state, event.payload)
    assert (
        close_period(ClosePeriod("2026-11", 3, datetime(2026, 12, 2, tzinfo=SHANGHAI)), closed)
        == []
    )


def test_closing_an_unknown_period_is_not_found():
    with pytest.raises(NotFound):
        close_period(ClosePeriod("2030-01", 0, AT), PeriodState())


def issued(action_id):
    return DisciplinaryActionIssued(
        action_id=action_id,
        period_id="2026-11",
        employee_id="E1",
        policy_version="2026.1",
        level="warning",
        rule_level="warning",
        policy_rule_id="unexcused-lateness",
        rule_ids=("R-A1", "R-B4.3"),
        incident_at=AT,
        causing_event_ids=(uuid4(),),
        reason="3 late",
    )


def test_an_employee_appeals_an_action_once_and_hr_decides_once():
    action_id = uuid4()
    record = record_of("E1", [issued(action_id)])
    [filed] = file_appeal(FileAppeal(action_id, "E1", "I had approval by phone", AT), record)
    assert filed.payload == AppealFiled(
        appeal_id=appeal_id_for(action_id),
        action_id=action_id,
        employee_id="E1",
        reason="I had approval by phone",
    )
    record = record_of("E1", [issued(action_id), filed.payload])
    with pytest.raises(Conflict, match="already appealed"):
        file_appeal(FileAppeal(action_id, "E1", "again", AT), record)
    [decided] = decide_appeal(
        DecideAppeal(filed.payload.appeal_id, "E1", "overturned", "approval confirmed", AT), record
    )
    assert isinstance(decided.payload, AppealDecided)
    assert decided.payload.decision == "overturned"
    record = record_of("E1", [issued(action_id), filed.payload, decided.payload])
    assert record.actions[action_id].overturned
    assert record.history().actions[0].overturned
    with pytest.raises(Conflict, match="already decided: overturned"):
        decide_appeal(DecideAppeal(filed.payload.appeal_id, "E1", "upheld", None, AT), record)


def test_appealing_an_action_that_is_not_yours_is_not_found():
    with pytest.raises(NotFound) as refused:
        file_appeal(FileAppeal(uuid4(), "E1", "why", AT), record_of("E1", []))
    assert refused.value.field == "action_id"
    with pytest.raises(NotFound):
        decide_appeal(DecideAppeal(uuid4(), "E1", "upheld", None, AT), record_of("E1", []))


def test_the_scheduler_closes_after_the_last_day_and_the_grace():
    assert close_due_at(date(2026, 11, 30), "Asia/Shanghai", timedelta(hours=24)) == datetime(
        2026, 12, 2, tzinfo=SHANGHAI
    )
    assert close_due_at(date(2026, 11, 30), "America/New_York", timedelta(0)) == datetime(
        2026, 12, 1, 5, tzinfo=ZoneInfo("UTC")
    )
