"""What-if: a closed period's facts under a candidate policy, beside the pinned one."""

from decimal import Decimal

from daybook_appraisal.domain.model import record_of
from daybook_appraisal.domain.outcomes import appraise
from daybook_appraisal.domain.policy import load_policy
from daybook_appraisal.domain.whatif import what_if

from .builders import NOV, TZ, K, default_policy, default_text
from .test_scoring import november_of_e1


def test_a_stricter_adequate_band_turns_e1s_november_poor():
    # E1 scored 70.06 (see test_scoring); a candidate that starts adequate at 72 makes it poor
    candidate = load_policy(
        default_text()
        .replace('policy_version: "2026.1"', 'policy_version: "2027.1-draft"')
        .replace("min_score: 60", "min_score: 72")
    ).policy
    comparison = what_if(
        default_policy().policy,
        candidate,
        NOV,
        "E1",
        TZ,
        tuple(november_of_e1().facts),
        record_of("E1", []),
    )
    assert (comparison.current.score, comparison.current.band) == (Decimal("70.06"), "adequate")
    assert (comparison.candidate.score, comparison.candidate.band) == (Decimal("70.06"), "poor")
    assert comparison.current.bonus_share == Decimal("0.05")
    assert comparison.candidate.bonus_share == 0
    assert comparison.band_changed and comparison.changed
    assert comparison.candidate.policy_version == "2027.1-draft"


def test_a_reweighted_candidate_moves_points_and_score():
    # sales 30 -> 20 and punctuality 15 -> 25: sales 0.85 x 20 = 17.00, punctuality 2/3 x 25
    # = 16.67; the score becomes 70.06 - 25.50 - 10.00 + 17.00 + 16.67 = 68.23
    candidate = load_policy(
        default_text()
        .replace("weight: 30 ", "weight: 20 ")
        .replace(
            "weight: 15\n    measure:\n      kind: total",
            "weight: 25\n    measure:\n      kind: total",
        )
    ).policy
    comparison = what_if(
        default_policy().policy,
        candidate,
        NOV,
        "E1",
        TZ,
        tuple(november_of_e1().facts),
        record_of("E1", []),
    )
    assert comparison.candidate.points["sales"] == Decimal("17.00")
    assert comparison.candidate.points["punctuality"] == Decimal("16.67")
    assert comparison.candidate.score == Decimal("68.23")
    assert not comparison.band_changed and comparison.changed


def test_the_same_policy_changes_nothing():
    policy = default_policy().policy
    comparison = what_if(
        policy, policy, NOV, "E1", TZ, tuple(november_of_e1().facts), record_of("E1", [])
    )
    assert not comparison.changed


def test_the_facts_an_appraisal_considered_reproduce_it():
    # what a what-if re-reads after the close: the considered facts alone, not everything since
    book = november_of_e1()
    book.add(K.GIFT_ACCEPTED, NOV.window.starts_on, grade="minor")
    book.add(K.DEAL_WON, NOV.window.ends_on.replace(month=12, day=3), "999.00", unit="CNY")
    policy = default_policy().policy
    first = appraise(policy, NOV, "E1", TZ, book.facts, record_of("E1", []).history())
    considered_ids = {fact.event_id for fact in first.considered}
    again = appraise(
        policy,
        NOV,
        "E1",
        TZ,
        [fact for fact in book.facts if fact.event_id in considered_ids],
        record_of("E1", []).history(),
    )
    assert again.scorecard == first.scorecard
    assert again.actions == first.actions
    assert len(considered_ids) == len(book.facts) - 2  # December's deal and C2's old record
