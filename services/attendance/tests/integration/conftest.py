"""The attendance service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js import JetStreamContext

from daybook_attendance.bootstrap import build_app
from daybook_attendance.settings import AttendanceSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .attendance_support import ROSTER, START, Attendance


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(infra: Infra, database_url: str, namespace: Namespace) -> AttendanceSettings:
    # The scheduled close runs once at start-up (nothing is due then) and not again during a
    # test, which runs the close through the API; one test runs the scheduler itself.
    return AttendanceSettings(
        database_url=database_url,
        nats_url=infra.nats_url,
        namespace=namespace.prefix,
        day_close_interval_s=3600,
    )


@pytest.fixture
async def attendance(
    settings: AttendanceSettings,
    clock: ManualClock,
    namespace: Namespace,
    js: JetStreamContext,
    database_url: str,
) -> AsyncIterator[Attendance]:
    async with serve_app(build_app(settings, clock=clock)) as http:
        db = await asyncpg.connect(database_url)
        try:
            service = Attendance(http, clock, namespace, js, db)
            await service.publish_hr(*ROSTER)

            async def roster_known() -> None:
                count = await db.fetchval("SELECT count(*) FROM attendance.roster")
                assert count == len(ROSTER)

            await eventually(roster_known)
            yield service
        finally:
            await db.close()
