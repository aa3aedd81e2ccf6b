"""The roster, from the hr context's events (`hr.>`), by a durable JetStream consumer.

Written order-insensitively, because replicas share the consumer: `assigned_on` keeps the
effective date of the assignment a row shows, so an older transfer arriving late never overwrites
a newer one, and a hiring arriving after a transfer only fills in what the transfer did not say.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from daybook_shared.contracts import Event
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred


class RosterNotReady(Exception):
    """An hr event about someone whose hiring has not arrived yet: the consumer retries it."""


class RosterProjection:
    """Who works in which team, for which supervisor, in which timezone."""

    name = "attendance_roster_v1"
    contexts: Sequence[str] = ("hr",)

    async def apply(self, conn: asyncpg.Connection, event: Event) -> None:
        payload = event.payload
        if isinstance(payload, EmployeeHired):
            await conn.execute(
                """
                INSERT INTO roster AS r (employee_id, team_id, supervisor_id, role, timezone,
                                         hired_on, left_on, assigned_on)
                VALUES ($1, $2, $3, $4, $5, $6, NULL, $6)
                ON CONFLICT (employee_id) DO UPDATE SET
                    hired_on = EXCLUDED.hired_on,
                    team_id = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                   THEN EXCLUDED.team_id ELSE r.team_id END,
                    supervisor_id = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                         THEN EXCLUDED.supervisor_id ELSE r.supervisor_id END,
                    role = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                THEN EXCLUDED.role ELSE r.role END,
                    timezone = CASE WHEN r.assigned_on <= EXCLUDED.assigned_on
                                    THEN EXCLUDED.timezone ELSE r.timezone END,
                    assigned_on = GREATEST(r.assigned_on, EXCLUDED.assigned_on)
                """,
                payload.employee_id,
                payload.team_id,
                payload.supervisor_id,
                payload.role,
                payload.timezone,
                payload.hired_on,
            )
        elif isinstance(payload, EmployeeTransferred):
            updated = await conn.fetchval(
                """
                UPDATE roster SET team_id = $2, supervisor_id = $3, role = COALESCE($4, role),
                                  timezone = COALESCE($5, timezone), assigned_on = $6
                WHERE employee_id = $1 AND assigned_on <= $6
                RETURNING true
                """,
                payload.employee_id,
                payload.team_id,
                payload.supervisor_id,
                payload.role,
                payload.timezone,
                payload.effective_on,
            )
            if not updated and not await _on_roster(conn, payload.employee_id):
                raise RosterNotReady(f"transfer of {payload.employee_id} before their hiring")
        elif isinstance(payload, EmployeeLeft):
            updated = await conn.fetchval(
                "UPDATE roster SET left_on = $2 WHERE employee_id = $1 RETURNING true",
                payload.employee_id,
                payload.left_on,
            )
            if not updated:
                raise RosterNotReady(f"leaving of {payload.employee_id} before their hiring")


async def _on_roster(conn: asyncpg.Connection, employee_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM roster WHERE employee_id = $1", employee_id))
