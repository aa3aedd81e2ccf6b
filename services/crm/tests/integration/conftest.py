"""The crm service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext

from daybook_crm.bootstrap import build_app
from daybook_crm.settings import CrmSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.http import serve_app_with_database
from daybook_shared.testing.roster import publish_roster_and_wait

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
    app = build_app(settings, clock=clock)
    async with serve_app_with_database(app, database_url) as (http, db):
        # The first consumer of a fresh stream may take a while on a busy machine.
        await publish_roster_and_wait(
            js,
            namespace,
            ROSTER,
            recorded_at=clock.now(),
            db=db,
            roster_table="crm.roster",
            timeout=30,
        )
        yield Crm(http, clock, namespace, js, db)
