"""The composition root: the appraisal service from its settings, on the shared kit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI

from daybook_appraisal import application
from daybook_appraisal.api import build_router
from daybook_appraisal.projections import CONSUMED_CONTEXTS, FactsProjection
from daybook_appraisal.settings import AppraisalConfig, AppraisalSettings
from daybook_shared.runtime.clock import Clock
from daybook_shared.runtime.service import ServiceKit, ServiceSpec, build_service, every

DESCRIPTION = (
    "Live performance scores per employee and period from every context's events, under a "
    "policy kept as data (R-A8); period close with rewards (R-B4.2), promotion eligibility "
    "(R-B5.3) and escalating discipline (R-B4.3), each explained down to the events and rule ids "
    "behind it; appeals; what-if on history."
)


def build_app(settings: AppraisalSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or AppraisalSettings()
    config = AppraisalConfig.from_settings(settings)

    async def close_due(kit: ServiceKit) -> None:
        await application.close_due_periods(kit, config)

    spec = ServiceSpec(
        name="appraisal",
        context="appraisal",
        description=DESCRIPTION,
        migrations=["daybook_appraisal"],
        routers=[build_router(config)],
        projections=[FactsProjection()],
        jobs=[
            every(
                timedelta(seconds=settings.close_interval_s),
                close_due,
                name="appraisal-close-due-periods",
            )
        ],
        consumes=CONSUMED_CONTEXTS,
    )
    app = build_service(spec, settings, clock=clock)
    app.state.rebuilds = set[asyncio.Task[None]]()
    return app
