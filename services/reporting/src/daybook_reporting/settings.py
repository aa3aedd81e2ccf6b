"""The reporting service's settings (environment `DAYBOOK_<FIELD>`), on top of the kit's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import Field, field_validator

from daybook_reporting.domain.calendar import DeadlinePolicy
from daybook_shared.contracts.hr import Role
from daybook_shared.runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = Field(default=8002, ge=1, le=65535)

    daily_report_deadline: str = Field(
        default="next_working_day_start",
        description="R-A2: 'next_working_day_start' or 'same_day_at:HH:MM' (employee's zone)",
    )
    progress_report_deadline: str = Field(
        default="next_working_day_start",
        description="R-A3: counted from a progress period's last day, like a daily report",
    )
    daily_report_roles: tuple[Role, ...] = Field(
        default=("salesperson",),
        description="Roster roles a daily report is demanded from (R-A2: business personnel)",
    )
    reports_required_from: date | None = Field(
        default=None,
        description="No daily report is demanded before this day (when the policy took effect)",
    )
    sweep_lookback_days: int = Field(
        default=31,
        ge=1,
        le=366,
        description="How far back the first sweep of an employee looks for missed reports",
    )
    sweep_interval_s: float = Field(default=60.0, gt=0, description="How often sweeps run")
    run_sweeps: bool = Field(
        default=True, description="Run the missed-report sweeps in the background (every replica)"
    )

    @field_validator("daily_report_deadline", "progress_report_deadline")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        DeadlinePolicy.parse(value)
        return value


@dataclass(frozen=True)
class ReportingConfig:
    """The settings the application layer needs, parsed once."""

    daily_deadline: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    progress_deadline: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    daily_report_roles: tuple[str, ...] = ("salesperson",)
    reports_required_from: date | None = None
    sweep_lookback_days: int = 31

    def demands_daily_report(self, role: str) -> bool:
        return role in self.daily_report_roles

    @classmethod
    def from_settings(cls, settings: ReportingSettings) -> ReportingConfig:
        return cls(
            daily_deadline=DeadlinePolicy.parse(settings.daily_report_deadline),
            progress_deadline=DeadlinePolicy.parse(settings.progress_report_deadline),
            daily_report_roles=tuple(settings.daily_report_roles),
            reports_required_from=settings.reports_required_from,
            sweep_lookback_days=settings.sweep_lookback_days,
        )
