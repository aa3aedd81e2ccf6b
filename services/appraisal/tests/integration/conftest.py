"""The appraisal service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js import JetStreamContext

from daybook_appraisal.bootstrap import build_app
from daybook_appraisal.settings import AppraisalSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .appraisal_support import ROSTER, START, Appraisal


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(infra: Infra, database_url: str, namespace: Namespace) -> AppraisalSettings:
    return AppraisalSettings(
        database_url=database_url,
        nats_url=infra.nats_url,
        namespace=namespace.prefix,
        organisation_timezone="Asia/Shanghai",
        close_interval_s=3600,
    )


@pytest.fixture
async def appraisal(
    settings: AppraisalSettings,
    clock: ManualClock,
    namespace: Namespace,
    js: JetStreamContext,
    database_url: str,
) -> AsyncIterator[Appraisal]:
    async with serve_app(build_app(settings, clock=clock)) as http:
        db = await asyncpg.connect(database_url)
        try:
            service = Appraisal(http, clock, namespace, js, db)
            for hired in ROSTER:
                await service.publish(hired)

            async def roster_known() -> None:
                count = await db.fetchval("SELECT count(*) FROM appraisal.roster")
                assert count == len(ROSTER)

            await eventually(roster_known)
            yield service
        finally:
            await db.close()
