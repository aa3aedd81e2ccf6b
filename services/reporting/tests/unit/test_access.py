import pytest

from daybook_reporting.domain.access import (
    Caller,
    Member,
    require_manage_goals,
    require_read,
    require_review,
    require_set_target,
)
from daybook_shared.errors import Forbidden

E1 = Member("E1", supervisor_id="S1")


def test_employee_reads_only_their_own():
    require_read(Caller("employee", "E1"), E1)
    with pytest.raises(Forbidden, match="E2 may not read the reporting of E1"):
        require_read(Caller("employee", "E2"), E1)


def test_supervisor_reads_their_team_but_not_another():
    require_read(Caller("supervisor", "S1"), E1)
    with pytest.raises(Forbidden, match="S2 may not read"):
        require_read(Caller("supervisor", "S2"), E1)


def test_hr_reads_everyone_and_integration_no_one():
    require_read(Caller("hr", None), E1)
    with pytest.raises(Forbidden):
        require_read(Caller("integration", None), E1)


def test_only_the_direct_supervisor_or_hr_reviews():
    require_review(Caller("supervisor", "S1"), E1)
    require_review(Caller("hr", "H1"), E1)
    with pytest.raises(Forbidden, match="not the direct supervisor"):
        require_review(Caller("supervisor", "S2"), E1)
    with pytest.raises(Forbidden, match="own report"):
        require_review(Caller("supervisor", "E1"), E1)


def test_goals_are_set_by_the_employee_their_supervisor_or_hr():
    require_manage_goals(Caller("employee", "E1"), E1)
    require_manage_goals(Caller("supervisor", "S1"), E1)
    require_manage_goals(Caller("hr", None), E1)
    with pytest.raises(Forbidden):
        require_manage_goals(Caller("employee", "E2"), E1)


def test_targets_are_set_by_hr_or_for_the_supervisors_own_team():
    require_set_target(Caller("hr", None), None, None)
    require_set_target(Caller("supervisor", "S1"), "T1", "T1")
    with pytest.raises(Forbidden, match="the company"):
        require_set_target(Caller("supervisor", "S1"), None, "T1")
    with pytest.raises(Forbidden, match="team T2"):
        require_set_target(Caller("supervisor", "S1"), "T2", "T1")
    with pytest.raises(Forbidden):
        require_set_target(Caller("employee", "E1"), "T1", "T1")
