"""The appraisal service on real PostgreSQL and NATS, with a manual clock and a roster from hr.>."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext

from daybook_appraisal.bootstrap import build_app
from daybook_appraisal.settings import AppraisalSettings
from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import ManualClock
from daybook_shared.testing.http import serve_app_with_database
from daybook_shared.testing.roster import wait_for_roster

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
    app = build_app(settings, clock=clock)
    async with serve_app_with_database(app, database_url) as (http, db):
        service = Appraisal(http, clock, namespace, js, db)
        for hired in ROSTER:
            await service.publish(hired)
        await wait_for_roster(db, "appraisal.roster", len(ROSTER))
        yield service
