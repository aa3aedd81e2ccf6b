"""The attendance service's settings (environment `DAYBOOK_<FIELD>`), on top of the kit's."""

from __future__ import annotations

from pydantic import Field

from daybook_shared.runtime.settings import ServiceSettings


class AttendanceSettings(ServiceSettings):
    service_name: str = "attendance"
    http_port: int = Field(default=8001, ge=1, le=65535)
    day_close_interval_s: float = Field(
        default=60.0, gt=0, description="How often the scheduled day close looks for ended days"
    )
    run_scheduler: bool = Field(
        default=True, description="run the scheduled day close in the background"
    )
    upload_max_punches: int = Field(
        default=5000, ge=1, description="The most punches one device upload may carry"
    )
