"""Shared set-up for the kit's integration tests: a migrated schema and a pool on a fresh database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.kit.db import connect, create_pool
from daybook_shared.kit.eventstore import CommandMeta, EventStore, NewEvent
from daybook_shared.kit.migrator import migrate

SCHEMA = "kit_test"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def migrated_pool(database_url: str, schema: str = SCHEMA):
    conn = await connect(database_url, schema)
    try:
        await migrate(conn, schema, ["daybook_shared.kit"])
    finally:
        await conn.close()
    return await create_pool(database_url, schema, min_size=1, max_size=40)


def hired(employee_id: str, team: str = "T1") -> NewEvent:
    return NewEvent(
        EmployeeHired(
            employee_id=employee_id,
            display_name=f"Employee {employee_id}",
            team_id=team,
            timezone="Asia/Shanghai",
            hired_on=date(2026, 3, 1),
        ),
        occurred_at=T0,
    )


META = CommandMeta(recorded_at=T0, actor_id="hr-1", correlation_id="corr-1")


def store_for(pool, namespace) -> EventStore:
    return EventStore(pool, producer="hr", namespace=namespace)
