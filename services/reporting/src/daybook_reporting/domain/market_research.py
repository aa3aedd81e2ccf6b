"""Market and competitor research reports (R-B2.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from daybook_reporting.domain.facts import Recorded, build
from daybook_shared.contracts.reporting import MarketReportSubmitted
from daybook_shared.errors import Conflict


def market_report_stream(report_id: UUID) -> str:
    return f"market-report:{report_id}"


@dataclass(frozen=True)
class SubmitMarketReport:
    report_id: UUID
    employee_id: str
    topic: str
    competitors: tuple[str, ...]
    findings: str
    submitted_at: datetime


@dataclass(frozen=True)
class MarketReport:
    submitted: MarketReportSubmitted | None = None


def evolve(state: MarketReport, payload: object) -> MarketReport:
    if isinstance(payload, MarketReportSubmitted):
        return MarketReport(submitted=payload)
    return state


def submit(command: SubmitMarketReport, state: MarketReport) -> list[Recorded]:
    """R-B2.3: a report on market movements and competitors; a competitor named twice counts once."""
    if state.submitted is not None:
        raise Conflict(f"market report {command.report_id} is already submitted", field="report_id")
    competitors = tuple(dict.fromkeys(name.strip() for name in command.competitors))
    payload = build(
        MarketReportSubmitted,
        report_id=command.report_id,
        employee_id=command.employee_id,
        topic=command.topic,
        competitors=competitors,
        findings=command.findings,
        submitted_at=command.submitted_at,
    )
    return [Recorded(payload, command.submitted_at)]
