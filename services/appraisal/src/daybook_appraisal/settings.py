"""The appraisal service's settings (environment `DAYBOOK_<FIELD>`), on top of the kit's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import Field

from daybook_appraisal.domain.policy import LoadedPolicy, PolicyError, PolicyProblem
from daybook_appraisal.policy_files import SHIPPED_POLICY_DIR, read_policies
from daybook_shared.contracts.hr import TimeZoneName
from daybook_shared.runtime.settings import ServiceSettings


class AppraisalSettings(ServiceSettings):
    service_name: str = "appraisal"
    http_port: int = Field(default=8004, ge=1, le=65535)
    consumer_batch_size: int = Field(
        default=500, ge=1, description="Larger batches: the projection is a set, cheap per row"
    )

    policy_dir: Path = Field(
        default=SHIPPED_POLICY_DIR,
        description="Directory of policy files (*.yaml), one per version; checked at start-up",
    )
    active_policy: str = Field(
        default="2026.1", description="The policy version a newly opened period pins (R-A8)"
    )
    organisation_timezone: TimeZoneName = Field(
        default="UTC", description="A period's default timezone: it closes after its last day there"
    )
    close_grace_hours: float = Field(
        default=24.0,
        ge=0,
        description="How long after a period's last day the scheduler closes it, so that the "
        "day-close and missed-report sweeps of that day have arrived",
    )
    close_interval_s: float = Field(default=300.0, gt=0, description="How often to look")
    rebuild_batch_size: int = Field(default=2000, ge=1, le=20000)


@dataclass(frozen=True)
class AppraisalConfig:
    """What the service reads from its settings once, at start-up."""

    policies: dict[str, LoadedPolicy]
    active: LoadedPolicy
    organisation_timezone: str
    close_grace: timedelta
    rebuild_batch_size: int

    @classmethod
    def from_settings(cls, settings: AppraisalSettings) -> AppraisalConfig:
        """Load and check every policy file; a bad one stops the service with its problems."""
        policies = read_policies(settings.policy_dir)
        if settings.active_policy not in policies:
            found = ", ".join(sorted(policies)) or "none"
            raise PolicyError(
                str(settings.policy_dir),
                [
                    PolicyProblem(
                        1,
                        "active_policy",
                        f"no policy file in {settings.policy_dir} has policy_version "
                        f"{settings.active_policy!r} (found: {found})",
                    )
                ],
            )
        return cls(
            policies=policies,
            active=policies[settings.active_policy],
            organisation_timezone=settings.organisation_timezone,
            close_grace=timedelta(hours=settings.close_grace_hours),
            rebuild_batch_size=settings.rebuild_batch_size,
        )
