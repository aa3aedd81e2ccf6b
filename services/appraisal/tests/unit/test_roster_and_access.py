"""The roster folded from hr events in any order, and who may read whose appraisal."""

from datetime import UTC, date, datetime
from itertools import permutations
from uuid import uuid4

import pytest

from daybook_appraisal.domain.access import Caller, require_own, require_read
from daybook_appraisal.domain.roster import HrFact, fold_roster
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred
from daybook_shared.errors import Forbidden

AT = datetime(2026, 11, 1, tzinfo=UTC)


def fact(payload):
    return HrFact(payload, AT, uuid4())


HIRED = fact(
    EmployeeHired(
        employee_id="E1",
        display_name="Seller One",
        team_id="north",
        supervisor_id="S1",
        timezone="Asia/Shanghai",
        hired_on=date(2025, 1, 1),
    )
)
MOVED = fact(
    EmployeeTransferred(
        employee_id="E1",
        team_id="south",
        supervisor_id="S2",
        timezone="Europe/Berlin",
        effective_on=date(2026, 3, 1),
    )
)
PROMOTED = fact(
    EmployeeTransferred(
        employee_id="E1",
        team_id="south",
        supervisor_id="S9",
        role="supervisor",
        effective_on=date(2026, 6, 1),
    )
)
LEFT = fact(EmployeeLeft(employee_id="E1", left_on=date(2026, 12, 31)))


def test_the_roster_is_the_same_in_every_order_of_arrival():
    entries = {fold_roster(list(order)) for order in permutations([HIRED, MOVED, PROMOTED, LEFT])}
    assert len(entries) == 1
    [entry] = entries
    assert (entry.team_id, entry.supervisor_id, entry.role, entry.timezone, entry.left_on) == (
        "south",
        "S9",
        "supervisor",
        "Europe/Berlin",
        date(2026, 12, 31),
    )
    assert entry.employed_during(date(2026, 12, 1), date(2026, 12, 31))
    assert not entry.employed_during(date(2027, 1, 1), date(2027, 1, 31))


def test_no_entry_until_the_hiring_is_known():
    assert fold_roster([MOVED, LEFT]) is None


def test_a_rehire_ends_an_earlier_departure():
    rehired = fact(
        EmployeeHired(
            employee_id="E1",
            display_name="Seller One",
            team_id="north",
            timezone="Asia/Shanghai",
            hired_on=date(2027, 3, 1),
        )
    )
    early_leave = fact(EmployeeLeft(employee_id="E1", left_on=date(2026, 6, 30)))
    entry = fold_roster([rehired, early_leave, HIRED])
    assert entry is not None
    assert (entry.hired_on, entry.left_on) == (date(2027, 3, 1), None)


def test_employees_read_their_own_supervisors_their_reports_hr_everyone():
    require_read(Caller("employee", "E1"), "E1", "S1")
    require_read(Caller("supervisor", "S1"), "E1", "S1")
    require_read(Caller("hr", "H1"), "E1", "S1")
    require_read(Caller("integration"), "E1", None)
    for caller, employee_id, supervisor_id in [
        (Caller("employee", "E2"), "E1", "S1"),
        (Caller("supervisor", "S2"), "E1", "S1"),
        (Caller("employee", "S1"), "E1", "S1"),
        (Caller("supervisor", "S1"), "E9", None),
    ]:
        with pytest.raises(Forbidden):
            require_read(caller, employee_id, supervisor_id)


def test_only_the_employee_appeals_their_own_action():
    require_own(Caller("employee", "E1"), "E1")
    with pytest.raises(Forbidden):
        require_own(Caller("supervisor", "S1"), "E1")
    with pytest.raises(Forbidden):
        require_own(Caller("hr", "H1"), "E1")
