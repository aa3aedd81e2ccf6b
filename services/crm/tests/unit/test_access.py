import pytest

from daybook_crm.domain.access import RosterEntry, Viewer, may_act_for

E1 = RosterEntry("E1", "north", "S1", "salesperson", "Asia/Shanghai")
E2 = RosterEntry("E2", "south", "S2", "salesperson", "Asia/Shanghai")
E3 = RosterEntry("E3", "north", "S9", "salesperson", "Asia/Shanghai")
S1 = RosterEntry("S1", "north", None, "supervisor", "Asia/Shanghai")


def test_an_employee_acts_only_for_themselves():
    me = Viewer("employee", "E1")
    assert may_act_for(me, "E1", E1, E1)
    assert not may_act_for(me, "E2", E2, E1)


def test_a_supervisor_acts_for_their_reports_and_their_team():
    supervisor = Viewer("supervisor", "S1")
    assert may_act_for(supervisor, "E1", E1, S1)
    assert may_act_for(supervisor, "E3", E3, S1)
    assert may_act_for(supervisor, "S1", S1, S1)
    assert not may_act_for(supervisor, "E2", E2, S1)
    assert not may_act_for(supervisor, "E7", None, S1)


def test_hr_acts_for_everyone():
    assert may_act_for(Viewer("hr", None), "E2", E2, None)


@pytest.mark.parametrize("viewer", [Viewer("integration", None), Viewer("integration", "E1")])
def test_the_integration_role_acts_for_no_one(viewer: Viewer):
    assert not may_act_for(viewer, "E1", E1, None)
