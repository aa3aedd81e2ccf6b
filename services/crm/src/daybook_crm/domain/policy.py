"""The organisation's crm policy as data: deadlines, staleness and gift thresholds.

Defaults follow POLICY.md's intent; an organisation overrides them through settings
(`CRM_POLICY__...` or a JSON document), never by editing code.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from daybook_crm.domain.business_time import BusinessHours
from daybook_shared.contracts import Money
from daybook_shared.contracts.crm import (
    ComplaintSeverity,
    ConductSeverity,
    GiftKind,
    InquiryChannel,
)
from daybook_shared.contracts.hr import TimeZoneName

_HOUR = 60
_DAY = 9 * _HOUR  # one business day of the default 09:00-18:00 window


def _default_inquiry_budgets() -> dict[InquiryChannel, int]:
    return {
        "phone": 4 * _HOUR,
        "chat": 2 * _HOUR,
        "visit": 4 * _HOUR,
        "email": _DAY,
        "web_form": _DAY,
        "social": _DAY,
        "other": _DAY,
    }


def _default_complaint_budgets() -> dict[ComplaintSeverity, int]:
    return {"critical": _DAY, "high": 3 * _DAY, "medium": 5 * _DAY, "low": 10 * _DAY}


class GiftPolicy(BaseModel):
    """How serious an accepted gift is (R-B3.2): cash is always serious; other gifts by value.

    Per currency: up to `minor_limit` is minor, above `serious_above` serious, between major.
    A currency the policy does not list is judged `unlisted_currency_severity`, since its value
    cannot be compared.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    minor_limit: dict[str, Decimal] = Field(
        default_factory=lambda: {"CNY": Decimal(200), "USD": Decimal(30), "EUR": Decimal(30)}
    )
    serious_above: dict[str, Decimal] = Field(
        default_factory=lambda: {"CNY": Decimal(1000), "USD": Decimal(150), "EUR": Decimal(150)}
    )
    always_serious: frozenset[GiftKind] = frozenset({"cash"})
    unlisted_currency_severity: ConductSeverity = "major"

    @model_validator(mode="after")
    def _limits_are_ordered(self) -> GiftPolicy:
        for currency, minor in self.minor_limit.items():
            serious = self.serious_above.get(currency)
            if serious is None or serious < minor:
                raise ValueError(
                    f"gift policy for {currency}: serious_above must be set and >= minor_limit"
                )
        return self

    def severity_of_accepted(self, kind: GiftKind, value: Money) -> ConductSeverity:
        if kind in self.always_serious:
            return "serious"
        minor = self.minor_limit.get(value.currency)
        serious = self.serious_above.get(value.currency)
        if minor is None or serious is None:
            return self.unlisted_currency_severity
        if value.amount <= minor:
            return "minor"
        if value.amount > serious:
            return "serious"
        return "major"


class CrmPolicy(BaseModel):
    """Deadlines in business minutes, counted in the responsible employee's timezone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    default_timezone: TimeZoneName = "UTC"
    inquiry_response_minutes: dict[InquiryChannel, int] = Field(
        default_factory=_default_inquiry_budgets
    )
    complaint_resolution_minutes: dict[ComplaintSeverity, int] = Field(
        default_factory=_default_complaint_budgets
    )
    stale_after_days: int = Field(default=30, ge=1)
    gifts: GiftPolicy = Field(default_factory=GiftPolicy)

    @model_validator(mode="after")
    def _every_budget_is_set(self) -> CrmPolicy:
        for channel in InquiryChannel.__args__:  # type: ignore[attr-defined]
            if self.inquiry_response_minutes.get(channel, 0) < 1:
                raise ValueError(f"inquiry_response_minutes needs a positive budget for {channel}")
        for severity in ComplaintSeverity.__args__:  # type: ignore[attr-defined]
            if self.complaint_resolution_minutes.get(severity, 0) < 1:
                raise ValueError(
                    f"complaint_resolution_minutes needs a positive budget for {severity}"
                )
        return self
