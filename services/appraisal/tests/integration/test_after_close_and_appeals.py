"""Facts that arrive after a close; appeals and the escalation ladder, through HTTP and events."""

from datetime import date, datetime

from daybook_shared.testing.auth import as_employee, as_supervisor

from .appraisal_support import (
    AFTER_NOVEMBER,
    HR,
    Appraisal,
    gift_accepted,
    late_arrival,
    shanghai,
    training,
)


async def open_period(appraisal: Appraisal, period_id: str, starts: str, ends: str) -> None:
    answer = await appraisal.http.post(
        "/appraisal/periods",
        headers=HR,
        json={
            "period_id": period_id,
            "starts_on": starts,
            "ends_on": ends,
        },
    )
    assert answer.status_code == 201, answer.text


async def close(appraisal: Appraisal, period_id: str) -> None:
    answer = await appraisal.http.post(f"/appraisal/periods/{period_id}/close", headers=HR)
    assert answer.status_code == 200, answer.text


async def adequate_month_late_thrice(
    appraisal: Appraisal, employee_id: str, year: int, month: int
) -> None:
    """Three unexcused late arrivals in an otherwise adequate month (16 hours of training keep
    the band above poor: punctuality 30 + data upkeep 20 + development 20 = 70)."""
    sent = [await appraisal.publish(training(employee_id, date(year, month, 2)))] + [
        await appraisal.publish(
            late_arrival(employee_id, date(year, month, day)), at=shanghai(year, month, day, 9)
        )
        for day in (3, 10, 17)
    ]
    await appraisal.consumed(*(e.event_id for e in sent))


async def test_a_fact_after_the_close_changes_nothing_closed_and_a_late_breach_is_not_forgiven(
    appraisal: Appraisal,
):
    await appraisal.open_november()
    appraisal.clock.set(AFTER_NOVEMBER)
    await close(appraisal, "2026-11")
    before = await appraisal.scorecard("E1")

    late = await appraisal.publish(
        late_arrival("E1", date(2026, 11, 27)), at=shanghai(2026, 11, 27, 9)
    )
    gift = await appraisal.publish(gift_accepted("E1", "major"), at=shanghai(2026, 11, 20, 12))
    await appraisal.consumed(late.event_id, gift.event_id)

    after = await appraisal.scorecard("E1")
    assert (after["score"], after["band"], after["actions"]) == (
        before["score"],
        before["band"],
        before["actions"],
    )
    assert {f["event_id"] for f in after["arrived_after_close"]} == {
        str(late.event_id),
        str(gift.event_id),
    }

    await open_period(appraisal, "2026-12", "2026-12-01", "2026-12-31")
    appraisal.clock.set(shanghai(2027, 1, 1, 8))
    await close(appraisal, "2026-12")
    [action] = await appraisal.published("DisciplinaryActionIssued")
    assert action.payload["period_id"] == "2026-12"
    assert action.payload["causing_event_ids"] == [str(gift.event_id)]
    assert action.payload["level"] == "pay_cut"
    assert datetime.fromisoformat(action.payload["incident_at"]) == gift.occurred_at


async def test_an_overturned_appeal_removes_a_step_of_the_ladder(appraisal: Appraisal):
    await open_period(appraisal, "2026-10", "2026-10-01", "2026-10-31")
    await appraisal.open_november()
    for employee_id in ("E1", "E2"):
        await adequate_month_late_thrice(appraisal, employee_id, 2026, 10)
    appraisal.clock.set(shanghai(2026, 11, 2, 9))
    await close(appraisal, "2026-10")
    warnings = {
        e.payload["employee_id"]: e.payload
        for e in await appraisal.published("DisciplinaryActionIssued")
    }
    e1_warning = warnings["E1"]["action_id"]

    someone_else = await appraisal.http.post(
        f"/appraisal/actions/{e1_warning}/appeal",
        headers=as_employee("E2"),
        json={"reason": "Not mine either"},
    )
    assert someone_else.status_code == 403
    not_even_the_supervisor = await appraisal.http.post(
        f"/appraisal/actions/{e1_warning}/appeal",
        headers=as_supervisor("S1"),
        json={"reason": "On behalf"},
    )
    assert not_even_the_supervisor.status_code == 403
    retrying = {**as_employee("E1"), "Idempotency-Key": "appeal-1"}
    body = {"reason": "The late arrivals were client visits approved by phone"}
    filed = await appraisal.http.post(
        f"/appraisal/actions/{e1_warning}/appeal", headers=retrying, json=body
    )
    assert filed.status_code == 201, filed.text
    retried = await appraisal.http.post(
        f"/appraisal/actions/{e1_warning}/appeal", headers=retrying, json=body
    )
    assert retried.json() == filed.json()
    appeal_id = filed.json()["appeal_id"]
    twice = await appraisal.http.post(
        f"/appraisal/actions/{e1_warning}/appeal",
        headers=as_employee("E1"),
        json={"reason": "again"},
    )
    assert twice.status_code == 409

    not_hr = await appraisal.http.post(
        f"/appraisal/appeals/{appeal_id}/decision",
        headers=as_supervisor("S1"),
        json={"decision": "overturned"},
    )
    assert not_hr.status_code == 403
    open_appeals = await appraisal.http.get("/appraisal/appeals", headers=HR)
    assert [a["appeal_id"] for a in open_appeals.json()] == [appeal_id]
    decided = await appraisal.http.post(
        f"/appraisal/appeals/{appeal_id}/decision",
        headers=HR,
        json={"decision": "overturned", "reason": "Approvals confirmed by the supervisor"},
    )
    assert decided.status_code == 200, decided.text
    [appeal_filed] = await appraisal.published("AppealFiled")
    [appeal_decided] = await appraisal.published("AppealDecided")
    assert appeal_filed.payload["action_id"] == e1_warning
    assert appeal_decided.payload["decision"] == "overturned"

    actions = await appraisal.http.get("/appraisal/employees/E1/actions", headers=as_employee("E1"))
    assert actions.json()[0]["appeal"]["decision"] == "overturned"

    for employee_id in ("E1", "E2"):
        await adequate_month_late_thrice(appraisal, employee_id, 2026, 11)
    appraisal.clock.set(AFTER_NOVEMBER)
    await close(appraisal, "2026-11")
    november = {
        e.payload["employee_id"]: e.payload
        for e in await appraisal.published("DisciplinaryActionIssued")
        if e.payload["period_id"] == "2026-11"
    }
    assert november["E1"]["level"] == "warning"
    assert november["E1"]["standing_prior_action_ids"] == []
    assert november["E2"]["level"] == "pay_cut"
    assert november["E2"]["standing_prior_action_ids"] == [warnings["E2"]["action_id"]]
