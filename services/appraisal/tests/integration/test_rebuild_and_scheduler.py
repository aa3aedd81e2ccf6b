"""Rebuilding the projections beside the live ones equals the live ones; the scheduled close."""

from collections.abc import AsyncIterator
from datetime import date

import pytest

from daybook_appraisal.bootstrap import build_app
from daybook_appraisal.settings import AppraisalSettings
from daybook_shared.contracts.hr import EmployeeLeft, EmployeeTransferred
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .appraisal_support import (
    AFTER_NOVEMBER,
    HR,
    SCHEDULER,
    Appraisal,
    deal_won,
    gift_accepted,
    late_arrival,
    rated,
    sales_goal,
    shanghai,
    training,
)
from .test_delivery_order import month_of

COMPARED = {
    "facts": "employee_id, event_id, kind, event_type, occurred_at, on_date, attributed_at, "
    "until, value, unit, key, revision, grade, day",
    "hr_events": "employee_id, event_id, event_type, occurred_at, payload",
    "roster": "employee_id, display_name, team_id, supervisor_id, role, timezone, hired_on, "
    "left_on",
}


async def rows(appraisal: Appraisal, table: str, generation: int) -> list[tuple]:
    found = await appraisal.db.fetch(
        f"SELECT {COMPARED[table]} FROM appraisal.{table} WHERE generation = $1 "
        f"ORDER BY {COMPARED[table]}",
        generation,
    )
    return [tuple(row) for row in found]


async def test_a_rebuilt_projection_equals_the_live_one_and_is_switched_to(appraisal: Appraisal):
    await appraisal.open_november()
    sent = [*month_of("E1")]
    for envelope in sent:
        await appraisal.send(envelope)
    sent += [
        await appraisal.publish(sales_goal("E2", "50000.00"), at=shanghai(2026, 11, 2, 9)),
        await appraisal.publish(deal_won("E2", "20000.00"), at=shanghai(2026, 11, 4, 9)),
        await appraisal.publish(rated("E3", 2), at=shanghai(2026, 11, 5, 9)),
        await appraisal.publish(gift_accepted("E3", "minor"), at=shanghai(2026, 11, 6, 9)),
        await appraisal.publish(late_arrival("E3", date(2026, 11, 9)), at=shanghai(2026, 11, 9, 9)),
        await appraisal.publish(
            EmployeeTransferred(
                employee_id="E2",
                team_id="south",
                supervisor_id="S2",
                effective_on=date(2026, 11, 16),
            )
        ),
        await appraisal.publish(EmployeeLeft(employee_id="E3", left_on=date(2026, 12, 31))),
    ]
    await appraisal.consumed(*(e.event_id for e in sent))
    board_before = (
        await appraisal.http.get("/appraisal/periods/2026-11/scoreboard", headers=HR)
    ).json()
    card_before = await appraisal.scorecard("E1")

    started = await appraisal.http.post("/appraisal/admin/projections/rebuild", headers=SCHEDULER)
    assert started.status_code == 202, started.text
    generation = started.json()["generation"]
    assert generation == 2
    # An event published while the rebuild runs reaches the new generation too.
    during = await appraisal.publish(
        training("E2", date(2026, 11, 20), "4"), at=shanghai(2026, 11, 20, 18)
    )

    async def switched() -> None:
        listed = await appraisal.http.get("/appraisal/admin/projections", headers=SCHEDULER)
        status = {g["generation"]: g["status"] for g in listed.json()}
        assert status == {1: "retired", 2: "live"}

    await eventually(switched, timeout=30)
    await appraisal.consumed(during.event_id)
    for table in COMPARED:
        live, rebuilt = await rows(appraisal, table, 1), await rows(appraisal, table, 2)
        assert rebuilt == live, table
        assert rebuilt
    assert during.event_id in {row[1] for row in await rows(appraisal, "facts", 2)}

    board_after = (
        await appraisal.http.get("/appraisal/periods/2026-11/scoreboard", headers=HR)
    ).json()
    e2_before = next(r for r in board_before["rows"] if r["employee_id"] == "E2")
    e2_after = next(r for r in board_after["rows"] if r["employee_id"] == "E2")
    assert e2_after["score"] != e2_before["score"]  # the training counted, in the new rows
    assert await appraisal.scorecard("E1") == card_before

    again = await appraisal.http.post("/appraisal/admin/projections/rebuild", headers=SCHEDULER)
    assert again.status_code == 202
    assert again.json()["generation"] == 3

    async def generation_one_dropped() -> None:
        listed = await appraisal.http.get("/appraisal/admin/projections", headers=SCHEDULER)
        assert {g["generation"]: g["status"] for g in listed.json()} == {2: "retired", 3: "live"}

    await eventually(generation_one_dropped, timeout=30)
    assert await rows(appraisal, "facts", 3) == await rows(appraisal, "facts", 2)


async def test_own_views_rebuild_from_the_log(appraisal: Appraisal):
    await appraisal.open_november()
    appraisal.clock.set(AFTER_NOVEMBER)
    closed = await appraisal.http.post("/appraisal/periods/2026-11/close", headers=HR)
    assert closed.status_code == 200
    tables = ("periods", "appraisals", "actions", "appeals")
    before = {
        t: [dict(r) for r in await appraisal.db.fetch(f"SELECT * FROM appraisal.{t}")]
        for t in tables
    }
    answer = await appraisal.http.post("/appraisal/admin/own-views/rebuild", headers=SCHEDULER)
    assert answer.status_code == 200, answer.text
    assert answer.json()["replayed"] == len(await appraisal.stored())
    after = {
        t: [dict(r) for r in await appraisal.db.fetch(f"SELECT * FROM appraisal.{t}")]
        for t in tables
    }
    assert after == before
    assert before["appraisals"]


@pytest.fixture
async def scheduled(
    settings: AppraisalSettings, clock: ManualClock, appraisal: Appraisal
) -> AsyncIterator[Appraisal]:
    """A second replica whose scheduler looks every 50 ms (the first one looks hourly)."""
    replica = build_app(settings.model_copy(update={"close_interval_s": 0.05}), clock=clock)
    async with serve_app(replica):
        yield appraisal


async def test_the_scheduler_closes_a_period_once_its_grace_has_passed(scheduled: Appraisal):
    await scheduled.open_november()
    scheduled.clock.set(shanghai(2026, 12, 2, 0, 1))  # the last day ended, and 24 h of grace

    async def closed() -> None:
        answer = await scheduled.http.get("/appraisal/periods/2026-11", headers=HR)
        assert answer.json()["status"] == "closed"

    await eventually(closed)
    finalized = await scheduled.published("AppraisalFinalized")
    assert sorted(e.payload["employee_id"] for e in finalized) == ["E1", "E2", "E3"]
    assert len(await scheduled.published("AppraisalPeriodClosed")) == 1
