"""The crm service's configuration: the kit's settings plus the organisation's crm policy.

The policy is data. Set it as JSON in `DAYBOOK_CRM_POLICY` (for example
`{"stale_after_days": 14, "inquiry_response_minutes": {"phone": 120, ...}}`) or in a JSON file
named by `DAYBOOK_CRM_POLICY_FILE`; unset, the defaults in `domain/policy.py` apply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from daybook_crm.domain.policy import CrmPolicy
from daybook_shared.runtime.settings import ServiceSettings


class CrmSettings(ServiceSettings):
    service_name: str = "crm"
    http_port: int = Field(default=8003, ge=1, le=65535)
    crm_policy: CrmPolicy = Field(default_factory=CrmPolicy)
    crm_policy_file: Path | None = None
    overdue_sweep_interval_s: float = Field(default=60.0, gt=0)
    stale_sweep_interval_s: float = Field(default=3600.0, gt=0)
    run_scheduler: bool = Field(
        default=True, description="run the overdue and stale-record sweeps in the background"
    )

    @model_validator(mode="after")
    def _policy_from_file(self) -> Self:
        if self.crm_policy_file is not None:
            document = json.loads(self.crm_policy_file.read_text("utf-8"))
            self.crm_policy = CrmPolicy.model_validate(document)
        return self
