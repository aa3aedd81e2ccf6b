"""The attendance service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext

from daybook_attendance.bootstrap import build_app
from daybook_attendance.settings import AttendanceSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.http import serve_app_with_database
from daybook_shared.testing.roster import publish_roster_and_wait

from .attendance_support import ROSTER, START, Attendance


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(infra: Infra, database_url: str, namespace: Namespace) -> AttendanceSettings:
    # Tests run the close through the API; one test runs the scheduler itself. A second replica
    # started mid-test would otherwise close due days at its start-up, before the API calls.
    return AttendanceSettings(
        database_url=database_url,
        nats_url=infra.nats_url,
        namespace=namespace.prefix,
        run_scheduler=False,
    )


@pytest.fixture
async def attendance(
    settings: AttendanceSettings,
    clock: ManualClock,
    namespace: Namespace,
    js: JetStreamContext,
    database_url: str,
) -> AsyncIterator[Attendance]:
    app = build_app(settings, clock=clock)
    async with serve_app_with_database(app, database_url) as (http, db):
        await publish_roster_and_wait(
            js, namespace, ROSTER, recorded_at=clock.now(), db=db, roster_table="attendance.roster"
        )
        yield Attendance(http, clock, namespace, js, db)
