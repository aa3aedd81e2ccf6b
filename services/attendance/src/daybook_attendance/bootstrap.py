"""The composition root: the attendance service from its settings, on the shared kit."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from daybook_attendance import application
from daybook_attendance.api import build_router
from daybook_attendance.projections import RosterProjection
from daybook_attendance.settings import AttendanceSettings
from daybook_shared.runtime.clock import Clock
from daybook_shared.runtime.service import ServiceKit, ServiceSpec, build_service, every

DESCRIPTION = (
    "Working hours and punctuality (R-A1, R-B3.1): work schedules and the holiday calendar, "
    "clock-in and clock-out from people and devices, late-arrival, early-leave and leave "
    "requests approved by the supervisor, and the facts derived from them: late arrivals, early "
    "departures, absences and closed days, compensated (never edited) when a later fact arrives."
)


def build_app(settings: AttendanceSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or AttendanceSettings()

    async def day_close(kit: ServiceKit) -> None:
        await application.close_due_days(kit)

    spec = ServiceSpec(
        name="attendance",
        context="attendance",
        description=DESCRIPTION,
        migrations=["daybook_attendance"],
        routers=[build_router(upload_max_punches=settings.upload_max_punches)],
        projections=[RosterProjection()],
        jobs=(
            [every(timedelta(seconds=settings.day_close_interval_s), day_close, name="day-close")]
            if settings.run_scheduler
            else []
        ),
    )
    return build_service(spec, settings, clock=clock)
