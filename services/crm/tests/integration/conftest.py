"""The crm service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js import JetStreamContext

from daybook_crm.bootstrap import build_app
from daybook_crm.settings import CrmSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.helpers import eventually
from daybook_shared.testing.http import serve_app

from .crm_support import ROSTER, START, Crm


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(infra: Infra, database_url: str, namespace: Namespace) -> CrmSettings:
    return CrmSettings(
        database_url=database_url,
        nats_url=infra.nats_url,
        namespace=namespace.prefix,
        run_scheduler=False,
    )


@pytest.fixture
async def crm(
    settings: CrmSettings,
    clock: ManualClock,
    namespace: Namespace,
    js: JetStreamContext,
    database_url: str,
) -> AsyncIterator[Crm]:
    async with serve_app(build_app(settings, clock=clock)) as http:
        db = await asyncpg.connect(database_url)
        try:
            service = Crm(http, clock, namespace, js, db)
            await publish_hr_events(js, namespace, ROSTER, recorded_at=clock.now())

            async def roster_known() -> None:
                count = await db.fetchval("SELECT count(*) FROM crm.roster")
                assert count == len(ROSTER)

            # The first consumer of a fresh stream may take a while on a busy machine.
            await eventually(roster_known, timeout=30)
            yield service
        finally:
            await db.close()
