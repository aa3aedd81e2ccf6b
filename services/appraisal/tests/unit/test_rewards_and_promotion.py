"""Bands, rewards (R-B4.2) and promotion eligibility (R-B5.3)."""

from decimal import Decimal

from daybook_appraisal.domain.model import FinaliseAppraisal, finalise_appraisal, record_of
from daybook_appraisal.domain.outcomes import History, appraise
from daybook_shared.contracts.appraisal import AppraisalFinalized, RewardGranted

from .builders import (
    DEC,
    NOV,
    OCT,
    TZ,
    FactBook,
    K,
    default_policy,
    excellent_month,
    local,
    nov,
    weak_month,
)

D = Decimal
POLICY = default_policy().policy


def close(period, book, record):
    events = finalise_appraisal(
        FinaliseAppraisal(
            period.period_id,
            period.window,
            book.employee_id,
            TZ,
            tuple(book.facts),
            local(period.window.ends_on, 23),
        ),
        POLICY,
        record,
    )
    return events, record_of(book.employee_id, [*_payloads(record), *(e.payload for e in events)])


def _payloads(record):
    return [*record.appraisals, *(a.issued for a in record.actions.values())]


def test_an_excellent_period_earns_bonus_salary_adjustment_and_commendation():
    appraisal = appraise(
        POLICY, NOV, "E1", TZ, excellent_month(FactBook("E1"), 11).facts, History()
    )
    assert appraisal.scorecard.score == D("100.00")
    assert appraisal.band.id == "excellent"
    reward = appraisal.reward
    assert reward is not None
    assert (reward.bonus_share, reward.bonus_amount, reward.currency) == (
        D("0.30"),
        D("3000.00"),
        "CNY",
    )
    assert reward.salary_adjustment == D("0.05")
    assert reward.commendation is True
    assert reward.rule_ids == ("R-B4.2",)


def test_a_poor_period_earns_no_reward_event():
    book = weak_month(FactBook("E1"), 11)
    events, _ = close(NOV, book, record_of("E1", []))
    assert [type(e.payload) for e in events] == [AppraisalFinalized]
    assert events[0].payload.score == D("36.36")
    assert events[0].payload.band == "poor"


def test_two_excellent_periods_in_a_row_with_a_certification_make_one_eligible_for_promotion():
    book = excellent_month(FactBook("E1"), 10)
    certification = book.add(K.CERTIFICATION, OCT.window.starts_on.replace(day=20))
    _, record = close(OCT, book, record_of("E1", []))
    excellent_month(book, 11)
    events, _ = close(NOV, book, record)
    reward = next(e.payload for e in events if isinstance(e.payload, RewardGranted))
    assert reward.promotion_eligible is True
    assert reward.promotion_period_ids == ("2026-10", "2026-11")
    assert reward.promotion_certification_event_ids == (certification.event_id,)
    assert reward.rule_ids == ("R-B4.2", "R-B5.3", "R-B5.2")


def test_without_a_certification_two_excellent_periods_are_not_enough():
    book = excellent_month(FactBook("E1"), 10)
    _, record = close(OCT, book, record_of("E1", []))
    excellent_month(book, 11)
    appraisal = appraise(POLICY, NOV, "E1", TZ, book.facts, record.history())
    assert appraisal.promotion is not None
    assert appraisal.promotion.eligible is False
    assert appraisal.promotion.reason == ("0 certification(s) since 2026-10-01, promotion needs 1")
    assert appraisal.reward is not None and appraisal.reward.promotion is None


def test_the_periods_must_follow_each_other_in_the_band():
    book = excellent_month(FactBook("E1"), 10)
    book.add(K.CERTIFICATION, nov(3))
    _, record = close(OCT, book, record_of("E1", []))
    weak_month(book, 11)
    _, record = close(NOV, book, record)
    excellent_month(book, 12)
    appraisal = appraise(POLICY, DEC, "E1", TZ, book.facts, record.history())
    assert appraisal.promotion is not None and appraisal.promotion.eligible is False
    assert appraisal.promotion.streak_period_ids == ("2026-12",)
