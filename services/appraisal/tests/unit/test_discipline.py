"""Discipline (R-B4.3): thresholds, the escalation ladder, conduct breaches, poor bands, appeals."""

from datetime import date
from decimal import Decimal

from daybook_appraisal.domain.model import (
    DecideAppeal,
    FileAppeal,
    FinaliseAppraisal,
    decide_appeal,
    file_appeal,
    finalise_appraisal,
    record_of,
)
from daybook_appraisal.domain.outcomes import Period
from daybook_appraisal.domain.policy import load_policy
from daybook_shared.contracts.appraisal import AppraisalFinalized, DisciplinaryActionIssued
from daybook_shared.kit.ids import derived_id

from .builders import (
    DEC,
    NOV,
    OCT,
    TZ,
    FactBook,
    K,
    default_policy,
    default_text,
    excellent_month,
    local,
    weak_month,
)

POLICY = default_policy().policy


class Employee:
    """One employee's record, closed period by period as the service would.

    Each period starts from a month of otherwise excellent work, so that only the facts a test
    adds decide its discipline (and no poor band gets in the way), unless `diligent` is off.
    """

    def __init__(self, employee_id="E1", policy=POLICY, diligent=True):
        self.book = FactBook(employee_id)
        self.payloads = []
        self.policy = policy
        self.diligent = diligent

    @property
    def record(self):
        return record_of(self.book.employee_id, self.payloads)

    def close(self, period: Period):
        if self.diligent:
            excellent_month(self.book, period.window.starts_on.month)
        events = finalise_appraisal(
            FinaliseAppraisal(
                period.period_id,
                period.window,
                self.book.employee_id,
                TZ,
                tuple(self.book.facts),
                local(period.window.ends_on, 23),
            ),
            self.policy,
            self.record,
        )
        self.payloads += [event.payload for event in events]
        return [e.payload for e in events if isinstance(e.payload, DisciplinaryActionIssued)]

    def late(self, *days: date, excused=False):
        kind = K.LATE_ARRIVAL_EXCUSED if excused else K.LATE_ARRIVAL_UNEXCUSED
        return [self.book.add(kind, day, hour=9) for day in days]

    def appeal(self, action, decision):
        at = local(DEC.window.starts_on)
        filed = file_appeal(
            FileAppeal(action.action_id, "E1", "I was at a client", at), self.record
        )
        self.payloads += [e.payload for e in filed]
        appeal_id = self.record.actions[action.action_id].appeal_id
        decided = decide_appeal(
            DecideAppeal(appeal_id, "E1", decision, "reviewed", at), self.record
        )
        self.payloads += [e.payload for e in decided]


def oct_(day):
    return date(2026, 10, day)


def nov(day):
    return date(2026, 11, day)


def dec(day):
    return date(2026, 12, day)


def test_three_unexcused_late_arrivals_in_a_period_give_a_warning():
    employee = Employee()
    late = employee.late(nov(3), nov(10), nov(17))
    [action] = employee.close(NOV)
    assert action.level == "warning"
    assert action.policy_rule_id == "unexcused-lateness"
    assert action.rule_ids == ("R-A1", "R-B3.1", "R-B4.3")
    assert action.causing_event_ids == tuple(fact.event_id for fact in late)
    assert action.incident_at == late[2].occurred_at
    assert action.reason == ("3 x late_arrival_unexcused in period 2026-11; the policy acts at 3")


def test_excused_late_arrivals_do_not_count_towards_the_threshold():
    employee = Employee()
    employee.late(nov(3), nov(10))
    employee.late(nov(17), nov(24), excused=True)
    assert employee.close(NOV) == []


def test_a_repeat_within_the_window_climbs_the_ladder():
    employee = Employee()
    employee.late(oct_(6), oct_(13), oct_(20))
    [warning] = employee.close(OCT)
    employee.late(nov(3), nov(10), nov(17))
    [pay_cut] = employee.close(NOV)
    employee.late(dec(1), dec(8), dec(15))
    [dismissal] = employee.close(DEC)
    assert [warning.level, pay_cut.level, dismissal.level] == [
        "warning",
        "pay_cut",
        "dismissal_recommendation",
    ]
    assert pay_cut.rule_level == "warning"
    assert pay_cut.pay_cut_share == Decimal("0.10")
    assert pay_cut.standing_prior_action_ids == (warning.action_id,)
    assert dismissal.standing_prior_action_ids == (warning.action_id, pay_cut.action_id)
    assert pay_cut.reason.endswith(
        "raised from warning to pay_cut by 1 standing action(s) in the last 180 days"
    )


def test_an_action_outside_the_window_no_longer_escalates():
    short = load_policy(
        default_text().replace("escalation_window_days: 180", "escalation_window_days: 30")
    ).policy
    employee = Employee(policy=short)
    employee.late(oct_(1), oct_(2), oct_(5))
    employee.close(OCT)
    employee.late(nov(16), nov(17), nov(18))
    [action] = employee.close(NOV)
    assert action.level == "warning"
    assert action.standing_prior_action_ids == ()


def test_an_accepted_gift_goes_straight_to_the_level_its_severity_sets():
    employee = Employee()
    major = employee.book.add(K.GIFT_ACCEPTED, nov(5), grade="major")
    serious = employee.book.add(K.GIFT_ACCEPTED, nov(6), grade="serious")
    first, second = employee.close(NOV)
    assert (first.level, first.rule_level) == ("pay_cut", "pay_cut")
    assert first.causing_event_ids == (major.event_id,)
    assert first.rule_ids == ("R-B3.2", "R-B4.3")
    assert first.reason == "gift_accepted of major severity on 2026-11-05"
    assert (second.level, second.causing_event_ids) == (
        "dismissal_recommendation",
        (serious.event_id,),
    )


def test_a_breach_without_severity_takes_the_rules_own_level_and_is_issued_whatever_the_score():
    employee = Employee()
    employee.book.add(K.CONFIDENTIALITY_BREACH, nov(9))
    [action] = employee.close(NOV)
    assert action.level == "dismissal_recommendation"
    assert action.rule_ids == ("R-B3.4", "R-B4.3")


def test_an_overturned_appeal_removes_a_step_of_the_ladder():
    employee = Employee()
    employee.late(oct_(6), oct_(13), oct_(20))
    [warning] = employee.close(OCT)
    employee.appeal(warning, "overturned")
    employee.late(nov(3), nov(10), nov(17))
    [action] = employee.close(NOV)
    assert action.level == "warning"
    assert action.standing_prior_action_ids == ()


def test_an_upheld_appeal_keeps_the_step():
    employee = Employee()
    employee.late(oct_(6), oct_(13), oct_(20))
    [warning] = employee.close(OCT)
    employee.appeal(warning, "upheld")
    employee.late(nov(3), nov(10), nov(17))
    [action] = employee.close(NOV)
    assert action.level == "pay_cut"


def test_a_poor_band_twice_in_a_row_gives_a_warning_citing_both_appraisals():
    employee = Employee(diligent=False)
    weak_month(employee.book, 10)
    assert employee.close(OCT) == []
    weak_month(employee.book, 11)
    [action] = employee.close(NOV)
    assert action.policy_rule_id == "poor-band-twice"
    assert action.causing_event_ids == (
        derived_id("appraisal", "AppraisalFinalized", "2026-10", "E1"),
        derived_id("appraisal", "AppraisalFinalized", "2026-11", "E1"),
    )
    assert action.incident_at == local(date(2026, 12, 1), 0)


def test_a_breach_reported_after_its_period_closed_is_disciplined_at_the_next_close_once():
    employee = Employee()
    assert employee.close(OCT) == []
    # the gift was accepted in October; the crm declaration arrives after October's close
    gift = employee.book.add(K.GIFT_ACCEPTED, oct_(20), grade="major", occurred_at=local(oct_(20)))
    [action] = employee.close(NOV)
    assert action.period_id == "2026-11"
    assert action.causing_event_ids == (gift.event_id,)
    assert action.incident_at == local(oct_(20))
    assert employee.close(DEC) == []


def test_closing_a_period_twice_records_nothing_the_second_time():
    employee = Employee()
    employee.late(nov(3), nov(10), nov(17))
    first = finalise_appraisal(
        FinaliseAppraisal(
            "2026-11", NOV.window, "E1", TZ, tuple(employee.book.facts), local(nov(30), 23)
        ),
        POLICY,
        employee.record,
    )
    employee.payloads += [e.payload for e in first]
    again = finalise_appraisal(
        FinaliseAppraisal(
            "2026-11", NOV.window, "E1", TZ, tuple(employee.book.facts), local(dec(2), 9)
        ),
        POLICY,
        employee.record,
    )
    assert [type(e.payload) for e in first] == [AppraisalFinalized, DisciplinaryActionIssued]
    assert again == []


def test_outcome_ids_are_the_same_on_every_replica():
    def ids():
        employee = Employee()
        employee.late(nov(3), nov(10), nov(17))
        return [
            e.event_id
            for e in finalise_appraisal(
                FinaliseAppraisal(
                    "2026-11", NOV.window, "E1", TZ, tuple(employee.book.facts), local(nov(30), 23)
                ),
                POLICY,
                employee.record,
            )
        ]

    assert ids() == ids()
    assert ids()[0] == derived_id("appraisal", "AppraisalFinalized", "2026-11", "E1")
