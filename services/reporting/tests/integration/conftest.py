"""The reporting service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js import JetStreamContext

from daybook_reporting.bootstrap import build_app
from daybook_reporting.settings import ReportingSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .reporting_support import ROSTER, START, Reporting


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(infra: Infra, database_url: str, namespace: Namespace) -> ReportingSettings:
    return ReportingSettings(
        database_url=database_url,
        nats_url=infra.nats_url,
        namespace=namespace.prefix,
        run_sweeps=False,
    )


@pytest.fixture
async def reporting(
    settings: ReportingSettings,
    clock: ManualClock,
    namespace: Namespace,
    js: JetStreamContext,
    database_url: str,
) -> AsyncIterator[Reporting]:
    async with serve_app(build_app(settings, clock=clock)) as http:
        db = await asyncpg.connect(database_url)
        try:
            service = Reporting(http, clock, namespace, js, db)
            for hired in ROSTER:
                await service.publish("hr", hired)

            async def roster_known() -> None:
                assert await db.fetchval("SELECT count(*) FROM reporting.roster") == len(ROSTER)

            await eventually(roster_known)
            yield service
        finally:
            await db.close()
