"""The test kit's roster: `hire` defaults, and a published roster waited for in a table."""

from datetime import UTC, date, datetime

import asyncpg
import pytest
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.testing.helpers import collect_events
from daybook_shared.testing.roster import (
    hire,
    publish_roster_and_wait,
    two_teams,
    wait_for_roster,
)

RECORDED_AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_hire_is_a_salesperson_in_shanghai_hired_in_2020_unless_told() -> None:
    assert hire("E1", "Seller One", "north", supervisor_id="S1") == EmployeeHired(
        employee_id="E1",
        display_name="Seller One",
        team_id="north",
        supervisor_id="S1",
        role="salesperson",
        timezone="Asia/Shanghai",
        hired_on=date(2020, 1, 1),
    )
    told = hire(
        "S2",
        "Boss",
        "south",
        role="supervisor",
        timezone="America/New_York",
        hired_on=date(2025, 1, 1),
    )
    assert (told.role, told.timezone, told.hired_on, told.supervisor_id) == (
        "supervisor",
        "America/New_York",
        date(2025, 1, 1),
        None,
    )


def test_two_teams_has_a_supervisor_over_two_sellers_and_one_over_one() -> None:
    roster = two_teams(sellers_hired_on=date(2025, 1, 1), south_timezone="America/New_York")

    assert [(h.employee_id, h.team_id, h.role, h.supervisor_id) for h in roster] == [
        ("S1", "north", "supervisor", None),
        ("E1", "north", "salesperson", "S1"),
        ("E2", "north", "salesperson", "S1"),
        ("S2", "south", "supervisor", None),
        ("E3", "south", "salesperson", "S2"),
    ]
    assert [h.hired_on.year for h in roster] == [2020, 2025, 2025, 2020, 2025]
    assert [h.timezone for h in roster] == ["Asia/Shanghai"] * 3 + ["America/New_York"] * 2
    assert [h.display_name for h in roster] == [
        "Supervisor North",
        "Seller One",
        "Seller Two",
        "Supervisor South",
        "Seller Three",
    ]


async def test_publish_roster_and_wait_publishes_on_hr_and_waits_for_the_table(
    js: JetStreamContext, namespace: Namespace, database_url: str
) -> None:
    roster = [hire("S1", "Supervisor", "north", role="supervisor"), hire("E1", "Seller", "north")]
    db = await asyncpg.connect(database_url)
    try:
        await db.execute("CREATE TABLE roster (employee_id text PRIMARY KEY)")
        await db.execute("INSERT INTO roster VALUES ('S1'), ('E1')")

        await publish_roster_and_wait(
            js, namespace, roster, recorded_at=RECORDED_AT, db=db, roster_table="roster"
        )

        published = await collect_events(js, namespace, "hr", count=2)
        assert [e.payload["employee_id"] for e in published] == ["S1", "E1"]
        assert {e.recorded_at for e in published} == {RECORDED_AT}
        with pytest.raises(AssertionError, match="roster holds 2 of 3 employees"):
            await wait_for_roster(db, "roster", 3, timeout=0.2)
    finally:
        await db.close()
