"""The composition root: the crm service from its settings, on the shared kit."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from daybook_crm import application
from daybook_crm.api import router
from daybook_crm.projections import RosterProjection
from daybook_crm.settings import CrmSettings
from daybook_shared.runtime.clock import Clock
from daybook_shared.runtime.service import ServiceKit, ServiceSpec, build_service, every

DESCRIPTION = (
    "Customers and their owners, record completeness and freshness (R-A5); inquiries and "
    "complaints against business-hours deadlines (R-A4, R-B3.3); deals (R-B1.1); satisfaction "
    "(R-B4.1); gift declarations and conduct breaches (R-B3.2, R-B3.4). Events carry ids and "
    "facts only: customer data never leaves crm (R-B3.4)."
)


def build_app(settings: CrmSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or CrmSettings()
    policy = settings.crm_policy

    async def overdue_sweep(kit: ServiceKit) -> None:
        await application.sweep_overdue(kit, None, kit.clock.now())

    async def stale_sweep(kit: ServiceKit) -> None:
        await application.sweep_stale_records(kit, None, policy, kit.clock.now())

    jobs = []
    if settings.run_scheduler:
        jobs = [
            every(
                timedelta(seconds=settings.overdue_sweep_interval_s),
                overdue_sweep,
                name="crm-overdue-sweep",
            ),
            every(
                timedelta(seconds=settings.stale_sweep_interval_s),
                stale_sweep,
                name="crm-stale-sweep",
            ),
        ]
    spec = ServiceSpec(
        name="crm",
        context="crm",
        description=DESCRIPTION,
        migrations=["daybook_crm"],
        routers=[router],
        projections=[RosterProjection()],
        jobs=jobs,
    )
    return build_service(spec, settings, clock=clock)
