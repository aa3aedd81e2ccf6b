"""Who may do what: employees for themselves, supervisors for their reports, hr for all."""

from datetime import date

import pytest

from daybook_attendance.domain.errors import NotEmployed, NotYourEmployee, UnknownEmployee
from daybook_attendance.domain.roster import (
    Actor,
    RosterEntry,
    ensure_acts_for_self,
    ensure_employed_on,
    ensure_may_punch_for,
    ensure_may_read,
    ensure_supervises,
)

ALICE = RosterEntry(
    "E1", "T1", "S1", "salesperson", "Asia/Shanghai", date(2026, 1, 1), date(2026, 6, 30)
)


def test_a_supervisor_decides_only_for_their_own_reports():
    ensure_supervises(Actor("supervisor", "S1"), ALICE)
    ensure_supervises(Actor("hr"), ALICE)
    with pytest.raises(NotYourEmployee, match="'S2' is not the supervisor of 'E1'"):
        ensure_supervises(Actor("supervisor", "S2"), ALICE)
    with pytest.raises(NotYourEmployee):
        ensure_supervises(Actor("employee", "S1"), ALICE)


def test_people_act_for_themselves_and_devices_punch_for_anyone():
    ensure_acts_for_self(Actor("employee", "E1"), "E1")
    with pytest.raises(NotYourEmployee):
        ensure_acts_for_self(Actor("employee", "E2"), "E1")
    with pytest.raises(NotYourEmployee):
        ensure_acts_for_self(Actor("integration"), "E1")
    ensure_may_punch_for(Actor("integration"), "E1")
    with pytest.raises(NotYourEmployee):
        ensure_may_punch_for(Actor("supervisor", "S1"), "E1")


def test_reading_a_day_is_for_the_employee_their_supervisor_and_hr():
    ensure_may_read(Actor("employee", "E1"), ALICE)
    ensure_may_read(Actor("supervisor", "S1"), ALICE)
    ensure_may_read(Actor("hr"), ALICE)
    with pytest.raises(NotYourEmployee):
        ensure_may_read(Actor("employee", "E2"), ALICE)
    with pytest.raises(NotYourEmployee):
        ensure_may_read(Actor("integration"), ALICE)


def test_attendance_is_kept_only_while_employed():
    assert ensure_employed_on(ALICE, "E1", date(2026, 6, 30)) is ALICE
    with pytest.raises(UnknownEmployee, match="unknown employee 'E9'"):
        ensure_employed_on(None, "E9", date(2026, 3, 2))
    with pytest.raises(NotEmployed, match="left on 2026-06-30"):
        ensure_employed_on(ALICE, "E1", date(2026, 7, 1))
    with pytest.raises(NotEmployed, match="starts on 2026-01-01"):
        ensure_employed_on(ALICE, "E1", date(2025, 12, 31))
