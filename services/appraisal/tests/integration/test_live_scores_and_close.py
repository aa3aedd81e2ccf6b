"""Live scores as events arrive; the period close with its explained outcomes, idempotent."""

from datetime import date

from daybook_shared.testing.auth import as_employee
from daybook_shared.testing.helpers import eventually

from .appraisal_support import (
    AFTER_NOVEMBER,
    HR,
    SCHEDULER,
    Appraisal,
    deal_won,
    late_arrival,
    points,
    rated,
    sales_goal,
    shanghai,
)


def nov(day: int) -> date:
    return date(2026, 11, day)


async def test_the_scorecard_is_live_and_the_close_emits_explained_outcomes_once(
    appraisal: Appraisal,
):
    opened = await appraisal.open_november()
    assert (opened["status"], opened["policy_version"]) == ("open", "2026.1")

    goal = await appraisal.publish(sales_goal("E1", "100000.00"), at=shanghai(2026, 11, 2, 9))
    deal = await appraisal.publish(deal_won("E1", "85000.00"), at=shanghai(2026, 11, 10, 15))
    rating = await appraisal.publish(rated("E1", 4), at=shanghai(2026, 11, 11, 15))
    late = [
        await appraisal.publish(late_arrival("E1", nov(day)), at=shanghai(2026, 11, day, 9))
        for day in (3, 10, 17)
    ]
    excused = await appraisal.publish(
        late_arrival("E1", nov(24), excused=True), at=shanghai(2026, 11, 24, 9)
    )
    await appraisal.consumed(
        goal.event_id, deal.event_id, rating.event_id, excused.event_id, *(e.event_id for e in late)
    )

    # Included weights: sales 30, satisfaction 15, punctuality 15, data upkeep 5 (freshness, in
    # full with no stale records), development 5 = 70. Sales 30/70 x 100 x 0.85 = 36.43;
    # satisfaction 15/70 x 100 x 0.75 = 16.07; punctuality (3 unexcused of 6) 21.43 x 0.5 =
    # 10.71; data upkeep 7.14; development 0. Score 70.35: adequate.
    card = await appraisal.scorecard("E1", as_employee("E1"))
    assert card["status"] == "provisional"
    assert points(card) == {
        "sales": "36.43",
        "satisfaction": "16.07",
        "punctuality": "10.71",
        "data-upkeep": "7.14",
        "development": "0.00",
    }
    assert (card["score"], card["band"]) == ("70.35", "adequate")
    punctuality = next(c for c in card["components"] if c["component_id"] == "punctuality")
    assert {e["event_id"] for e in punctuality["events"]} == {str(e.event_id) for e in late}
    assert punctuality["events"][0]["rule_ids"] == ["R-A1", "R-B3.1"]
    assert punctuality["events"][0]["event_type"] == "LateArrivalRecorded"
    [warning] = card["actions"]
    assert (warning["level"], warning["policy_rule_id"]) == ("warning", "unexcused-lateness")

    # Another 15,000 won: the live score moves as the event arrives (sales now in full: 42.86).
    await appraisal.publish(deal_won("E1", "15000.00"), at=shanghai(2026, 11, 20, 15))

    async def moved() -> None:
        live = await appraisal.scorecard("E1", as_employee("E1"))
        assert (live["score"], live["band"]) == ("76.78", "good")

    await eventually(moved)

    too_early = await appraisal.http.post("/appraisal/periods/2026-11/close", headers=HR)
    assert too_early.status_code == 409
    assert "can close from 2026-12-01T00:00:00+08:00" in too_early.json()["detail"]

    appraisal.clock.set(AFTER_NOVEMBER)
    closed = await appraisal.http.post("/appraisal/periods/2026-11/close", headers=SCHEDULER)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["appraised_count"]) == ("closed", 3)

    finalized = {
        e.payload["employee_id"]: e for e in await appraisal.published("AppraisalFinalized")
    }
    assert sorted(finalized) == ["E1", "E2", "E3"]
    e1 = finalized["E1"].payload
    assert (e1["score"], e1["band"], e1["policy_version"]) == ("76.78", "good", "2026.1")
    sales = next(c for c in e1["components"] if c["component_id"] == "sales")
    assert sales["counted_event_ids"][:2] == [str(goal.event_id), str(deal.event_id)]
    [reward] = [
        e.payload
        for e in await appraisal.published("RewardGranted")
        if e.payload["employee_id"] == "E1"
    ]
    assert reward["bonus"] == {"amount": "1500.00", "currency": "CNY"}
    assert reward["appraisal_event_id"] == str(finalized["E1"].event_id)
    [action] = await appraisal.published("DisciplinaryActionIssued")
    assert action.payload["employee_id"] == "E1"
    assert action.payload["level"] == "warning"
    assert action.payload["rule_ids"] == ["R-A1", "R-B3.1", "R-B4.3"]
    assert action.payload["causing_event_ids"] == [str(e.event_id) for e in late]
    assert len(await appraisal.published("AppraisalPeriodClosed")) == 1

    before = await appraisal.stored()
    again = await appraisal.http.post("/appraisal/periods/2026-11/close", headers=HR)
    assert again.status_code == 200
    assert again.json()["finalised_now"] == 0
    assert await appraisal.stored() == before

    final = await appraisal.scorecard("E1", as_employee("E1"))
    assert (final["status"], final["score"], final["band"]) == ("final", "76.78", "good")
    assert final["reward"]["bonus_share"] == "0.15"
    assert final["actions"][0]["action_id"] == action.payload["action_id"]
    assert final["arrived_after_close"] == []
