"""A scripted fortnight through the four services' HTTP APIs; the closed period's outcomes are
checked against the plan (every counted fact) and against scores computed by hand from the
default policy (2026.1)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

pytestmark = pytest.mark.slow

# The fact kinds the default policy's components measure (what a scorecard lists as counted).
SCORED_KINDS = {
    "deal_won", "sales_target", "satisfaction_rating", "inquiry_answered_in_time",
    "inquiry_answered_late", "inquiry_overdue", "complaint_resolved_in_time",
    "complaint_resolved_late", "complaint_overdue", "late_arrival_unexcused",
    "early_departure_unexcused", "absence_unexcused", "daily_report_on_time",
    "daily_report_late", "daily_report_missed", "progress_report_on_time",
    "progress_report_late", "progress_report_missed", "record_completeness", "stale_records",
    "training_hours", "certification", "market_report",
}  # fmt: skip


def counted_facts(card: dict) -> dict[str, tuple[int, Decimal]]:
    """Per fact kind, how many events the scorecard counted and their total value."""
    seen: dict[str, dict] = {}
    for component in card["components"]:
        for event in component["events"]:
            seen[event["event_id"]] = event
    tally: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for event in seen.values():
        tally[event["kind"]][0] += 1
        tally[event["kind"]][1] += Decimal(event["value"])
    return {kind: (count, total) for kind, (count, total) in tally.items()}


async def test_every_fact_the_plan_caused_is_counted_once(undisturbed):
    for employee_id, expected in undisturbed.plan.expected.items():
        card = undisturbed.outcomes[employee_id].card
        wanted = {kind: (e.count, e.total) for kind, e in expected.items() if kind in SCORED_KINDS}
        assert counted_facts(card) == wanted, employee_id


async def test_scores_and_bands_are_the_policy_applied_by_hand(undisturbed):
    """E01 full marks. E02: punctuality 15 x (6-4)/6 = 5.00; daily reports (8 + 2 x 0.5)/10 =
    0.9, normalised 0.75, with progress 1: 10 x (0.7 x 0.75 + 0.3) = 8.25; 88.25. E03:
    satisfaction mean 4.5, 15 x 0.875 = 13.125, rounded 13.13; 98.13. E04: sales 15.00,
    satisfaction mean 3 = 7.50, responsiveness 2/4 and complaints 1/2 at the 0.5 floor = 0,
    punctuality 15.00, reporting 10 x (0.7 x 0.125 + 0.3 x 0) = 0.875 = 0.88, data upkeep
    5 x (0.6 x 0.4 + 0.4) = 3.20, development 5 x 4/16 = 1.25; 42.83."""
    scores = {e: (o.score, o.band) for e, o in undisturbed.outcomes.items()}
    assert scores == {
        "E01": ("100.00", "excellent"),
        "E02": ("88.25", "good"),
        "E03": ("98.13", "excellent"),
        "E04": ("42.83", "poor"),
    }
    points = {
        c: undisturbed.outcomes["E04"].components[c]["points"]
        for c in undisturbed.outcomes["E04"].components
    }
    assert points == {
        "sales": "15.00",
        "satisfaction": "7.50",
        "responsiveness": "0.00",
        "complaints": "0.00",
        "punctuality": "15.00",
        "reporting": "0.88",
        "data-upkeep": "3.20",
        "development": "1.25",
    }


async def test_rewards_follow_the_bands(undisturbed):
    """R-B4.2: excellent earns 30% of the CNY 10,000 bonus base, 5% salary and a commendation;
    good 15% and 2%; poor nothing. Nobody is eligible for promotion after one period."""
    rewards = {
        e: [
            (
                r["band"],
                r["bonus"]["amount"],
                r["bonus"]["currency"],
                Decimal(r["salary_adjustment"]),
                r["commendation"],
                r["promotion_eligible"],
            )
            for r in o.rewards
        ]
        for e, o in undisturbed.outcomes.items()
    }
    assert rewards == {
        "E01": [("excellent", "3000.00", "CNY", Decimal("0.05"), True, False)],
        "E02": [("good", "1500.00", "CNY", Decimal("0.02"), False, False)],
        "E03": [("excellent", "3000.00", "CNY", Decimal("0.05"), True, False)],
        "E04": [],
    }


async def test_discipline_cites_the_rules_broken(undisturbed):
    """R-B4.3: the late-comer is warned (R-A1, R-B3.1), the gift acceptor's major breach is a
    pay cut at once (R-B3.2), the sloppy reporter is warned for three missed reports (R-A2)."""
    actions = {
        e: [(a["level"], a["policy_rule_id"], tuple(a["rule_ids"])) for a in o.disciplinary_actions]
        for e, o in undisturbed.outcomes.items()
    }
    assert actions == {
        "E01": [],
        "E02": [("warning", "unexcused-lateness", ("R-A1", "R-B3.1", "R-B4.3"))],
        "E03": [("pay_cut", "accepted-gift", ("R-B3.2", "R-B4.3"))],
        "E04": [("warning", "missed-daily-reports", ("R-A2", "R-B4.3"))],
    }
    late = undisturbed.outcomes["E02"].disciplinary_actions[0]
    assert late["causing_events"] == 4
    gift = undisturbed.outcomes["E03"].disciplinary_actions[0]
    assert Decimal(gift["pay_cut_share"]) == Decimal("0.10")


async def test_the_period_closed_with_everyone_appraised(undisturbed):
    assert undisturbed.closed["status"] == "closed"
    assert undisturbed.closed["appraised_count"] == 4
    assert undisturbed.closed["policy_version"] == "2026.1"


async def test_services_killed_mid_fortnight_and_restarted_change_no_outcome(
    run_fortnight, undisturbed
):
    """The appraisal is killed (SIGKILL) while it consumes a busy evening, reporting the next
    Monday morning; both are started again and the fortnight goes on. Redelivered events are
    applied once (inbox), the relay resumes where it stopped, retried commands record nothing
    twice: the outcomes equal the undisturbed run's."""
    plan = undisturbed.plan
    kill_at = {
        plan.calendar.local(date(2026, 9, 9), 19, 30): "appraisal",
        plan.calendar.local(date(2026, 9, 14), 8, 0): "reporting",
    }
    restarted = []

    async def crash_and_restart(system, moment):
        victim = kill_at.get(moment.at)
        if victim is None:
            return
        await system.kill(victim)
        assert not system.services[victim].running()
        await system.start_service(victim)
        restarted.append(victim)

    disturbed = await run_fortnight(
        crash_and_restart,
        # Unacknowledged deliveries to the killed process come back after this many seconds.
        extra_env={"appraisal": {"DAYBOOK_CONSUMER_ACK_WAIT_S": "3"}},
    )
    assert restarted == ["appraisal", "reporting"]
    assert {e: o.as_summary() for e, o in disturbed.outcomes.items()} == {
        e: o.as_summary() for e, o in undisturbed.outcomes.items()
    }
