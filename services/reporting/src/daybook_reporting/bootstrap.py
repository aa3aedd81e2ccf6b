"""The composition root: the reporting service from its settings, on the shared kit."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from daybook_reporting import application
from daybook_reporting.api import build_router
from daybook_reporting.projections import CalendarProjection, RosterProjection
from daybook_reporting.settings import ReportingConfig, ReportingSettings
from daybook_shared.runtime.clock import Clock
from daybook_shared.runtime.service import ServiceKit, ServiceSpec, build_service, every

DESCRIPTION = (
    "Daily work reports with deadlines and supervisor review (R-A2); company and team targets, "
    "personal goals and weekly or monthly progress (R-A3, R-B2.4); market research (R-B2.3); "
    "the professional development log (R-A6, R-B5)."
)


def build_app(settings: ReportingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    config = ReportingConfig.from_settings(settings)

    async def sweeps(kit: ServiceKit) -> None:
        await application.sweep_missed_daily_reports(kit, config)
        await application.withdraw_excused_missed_reports(kit)
        await application.sweep_missed_progress_reports(kit, config)

    spec = ServiceSpec(
        name="reporting",
        context="reporting",
        description=DESCRIPTION,
        migrations=["daybook_reporting"],
        routers=[build_router(config)],
        projections=[RosterProjection(), CalendarProjection()],
        jobs=(
            [every(timedelta(seconds=settings.sweep_interval_s), sweeps, name="reporting-sweeps")]
            if settings.run_sweeps
            else []
        ),
    )
    return build_service(spec, settings, clock=clock)
