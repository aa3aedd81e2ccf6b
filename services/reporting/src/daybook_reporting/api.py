"""HTTP API: validate, turn the request into a command or a query, answer.

Access (R-A2, R-B2.4): employees write and read their own; supervisors read and review their
direct reports'; hr reads everything; the integration role runs the sweeps.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from daybook_reporting import application, views
from daybook_reporting.domain.access import require_read
from daybook_reporting.roster import roster_entry, visible_entry
from daybook_reporting.settings import ReportingConfig
from daybook_shared.contracts import Money
from daybook_shared.contracts.base import EmployeeId, LongText, ShortText, TeamId
from daybook_shared.contracts.reporting import Cadence, DevelopmentKind, Hours, Metric
from daybook_shared.errors import Forbidden, InvalidCommand
from daybook_shared.runtime.auth import Principal, Role, require_roles
from daybook_shared.runtime.service import Kit

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying with the same key returns the first answer and stores nothing",
    ),
]

Writer = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR))]
Reader = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR, Role.HR))]
Manager = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.HR))]
Scheduler = Annotated[Principal, Depends(require_roles(Role.HR, Role.INTEGRATION))]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DailyReportIn(Request):
    """R-A2: the day's work, its progress, the challenges met and how they were solved."""

    report_date: date
    work: LongText
    progress: LongText
    challenges: LongText
    solutions: LongText


class ReviewIn(Request):
    comment: LongText
    revision: int | None = Field(default=None, ge=1, description="default: the latest revision")


class TargetIn(Request):
    """R-A3: a company-wide target (no team_id) or a team's, for a period."""

    team_id: TeamId | None = None
    metric: Metric
    amount: Money | None = Field(default=None, description="for sales_amount")
    count: int | None = Field(default=None, ge=1, le=1_000_000, description="for the counts")
    period_start: date
    period_end: date


class GoalIn(Request):
    employee_id: EmployeeId
    amount: Money | None = None
    count: int | None = Field(default=None, ge=1, le=1_000_000)
    cadence: Cadence = "weekly"


class ProgressIn(Request):
    """R-A3, R-B2.4: the period's achieved value, a narrative, the plan for the next period."""

    period_start: date
    amount: Money | None = None
    count: int | None = Field(default=None, ge=0, le=1_000_000)
    narrative: LongText
    next_period_plan: LongText


class MarketReportIn(Request):
    """R-B2.3: market movements and competitor information."""

    topic: ShortText
    competitors: list[ShortText] = Field(default_factory=list, max_length=50)
    findings: LongText


class TrainingIn(Request):
    """R-A6, R-B5.1: training attended, professional reading, or mentoring received."""

    kind: DevelopmentKind
    title: ShortText
    hours: Hours
    completed_on: date


class CertificationIn(Request):
    """R-B5.2: a vocational qualification obtained."""

    name: ShortText
    issuer: ShortText
    obtained_on: date
    expires_on: date | None = None


def build_router(config: ReportingConfig) -> APIRouter:
    router = APIRouter()

    async def readable(kit: Kit, principal: Principal, employee_id: str) -> None:
        assert kit.pool is not None
        entry = await visible_entry(kit.pool, application.caller_of(principal), employee_id)
        require_read(application.caller_of(principal), entry.member)

    # Daily reports (R-A2) ------------------------------------------------------------------

    @router.post("/daily-reports", status_code=201, tags=["daily reports"])
    async def submit_daily_report(
        body: DailyReportIn, kit: Kit, principal: Writer, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        """Submit (or amend, before its deadline) the caller's report for a working day."""
        return await application.submit_daily_report(
            kit,
            config,
            principal,
            application.DailyReportText(
                body.report_date, body.work, body.progress, body.challenges, body.solutions
            ),
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    @router.get("/employees/{employee_id}/daily-reports", tags=["daily reports"])
    async def list_daily_reports(
        employee_id: str,
        kit: Kit,
        principal: Reader,
        first: Annotated[date | None, Query(alias="from")] = None,
        last: Annotated[date | None, Query(alias="to")] = None,
    ) -> list[dict[str, Any]]:
        await readable(kit, principal, employee_id)
        assert kit.pool is not None
        return await views.daily_reports_of(kit.pool, employee_id, first, last)

    @router.get("/employees/{employee_id}/daily-reports/{report_date}", tags=["daily reports"])
    async def daily_report_history(
        employee_id: str, report_date: date, kit: Kit, principal: Reader
    ) -> dict[str, Any]:
        """Every revision of the day's report, its missed record and its reviews."""
        await readable(kit, principal, employee_id)
        assert kit.store is not None
        return await views.daily_report_history(kit.store, employee_id, report_date)

    @router.post(
        "/employees/{employee_id}/daily-reports/{report_date}/reviews",
        status_code=201,
        tags=["daily reports"],
    )
    async def review_daily_report(
        employee_id: str,
        report_date: date,
        body: ReviewIn,
        kit: Kit,
        principal: Manager,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        return await application.review_daily_report(
            kit,
            principal,
            employee_id,
            report_date,
            body.comment,
            body.revision,
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    @router.get("/team", tags=["daily reports", "goals"])
    async def team(
        kit: Kit,
        principal: Manager,
        supervisor_id: str | None = None,
        day: Annotated[date | None, Query(alias="date")] = None,
    ) -> dict[str, Any]:
        """The supervisor's day: reports in, who is missing, goals against targets."""
        assert kit.pool is not None
        whose = supervisor_id or principal.employee_id
        if whose is None:
            raise InvalidCommand("hr names the team by supervisor_id", field="supervisor_id")
        if principal.role == Role.SUPERVISOR and whose != principal.employee_id:
            raise Forbidden(
                f"{principal.employee_id} may not read the team of {whose}: only their own",
                field="supervisor_id",
            )
        supervisor = await roster_entry(kit.pool, whose)
        if day is None:
            zone = ZoneInfo(supervisor.timezone if supervisor else "UTC")
            day = kit.clock.now().astimezone(zone).date()
        return await views.team_view(kit.pool, config, supervisor, whose, day)

    # Targets and goals (R-A3, R-B2.4) --------------------------------------------------------

    @router.post("/targets", status_code=201, tags=["goals"])
    async def set_target(
        body: TargetIn, kit: Kit, principal: Manager, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await application.set_company_target(
            kit,
            principal,
            application.TargetSpec(
                body.team_id,
                body.metric,
                body.amount,
                body.count,
                body.period_start,
                body.period_end,
            ),
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    @router.get("/targets/{target_id}", tags=["goals"])
    async def target(target_id: UUID, kit: Kit, principal: Reader) -> dict[str, Any]:
        """The target, its goals, and whether the goals cover it (R-A3)."""
        assert kit.store is not None and kit.pool is not None
        state = await views.target_state(kit.store, target_id)
        assert state.target is not None
        if principal.role != Role.HR and state.target.team_id is not None:
            own = await roster_entry(kit.pool, principal.employee_id or "")
            if own is None or own.team_id != state.target.team_id:
                raise Forbidden(
                    f"target {target_id} belongs to team {state.target.team_id}",
                    field="target_id",
                )
        return views.target_overview(state)

    @router.post("/targets/{target_id}/goals", status_code=201, tags=["goals"])
    async def set_goal(
        target_id: UUID, body: GoalIn, kit: Kit, principal: Reader
    ) -> dict[str, Any]:
        """Derive (or revise) an employee's goal from the target; answers with the coverage."""
        return await application.set_goal(
            kit,
            principal,
            target_id,
            application.GoalSpec(body.employee_id, body.amount, body.count, body.cadence),
        )

    @router.get("/employees/{employee_id}/goals", tags=["goals"])
    async def goals(employee_id: str, kit: Kit, principal: Reader) -> list[dict[str, Any]]:
        await readable(kit, principal, employee_id)
        assert kit.pool is not None
        return await views.goals_of(kit.pool, employee_id)

    @router.post("/goals/{goal_id}/progress", status_code=201, tags=["goals"])
    async def report_progress(
        goal_id: UUID,
        body: ProgressIn,
        kit: Kit,
        principal: Writer,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        return await application.report_goal_progress(
            kit,
            config,
            principal,
            goal_id,
            application.ProgressSpec(
                body.period_start, body.amount, body.count, body.narrative, body.next_period_plan
            ),
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    # Market research (R-B2.3) and development (R-A6, R-B5) -------------------------------------

    @router.post("/market-reports", status_code=201, tags=["market research"])
    async def submit_market_report(
        body: MarketReportIn, kit: Kit, principal: Writer, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await application.submit_market_report(
            kit,
            principal,
            application.MarketReportSpec(body.topic, tuple(body.competitors), body.findings),
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    @router.get("/employees/{employee_id}/market-reports", tags=["market research"])
    async def market_reports(employee_id: str, kit: Kit, principal: Reader) -> list[dict[str, Any]]:
        await readable(kit, principal, employee_id)
        assert kit.pool is not None
        return await views.market_reports_of(kit.pool, employee_id)

    @router.post("/development/activities", status_code=201, tags=["development"])
    async def log_activity(
        body: TrainingIn, kit: Kit, principal: Writer, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await application.log_development(
            kit,
            principal,
            application.TrainingSpec(body.kind, body.title, Decimal(body.hours), body.completed_on),
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    @router.post("/development/certifications", status_code=201, tags=["development"])
    async def log_certification(
        body: CertificationIn, kit: Kit, principal: Writer, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await application.log_development(
            kit,
            principal,
            application.CertificationSpec(
                body.name, body.issuer, body.obtained_on, body.expires_on
            ),
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
        )

    @router.get("/employees/{employee_id}/development", tags=["development"])
    async def development_log(employee_id: str, kit: Kit, principal: Reader) -> dict[str, Any]:
        await readable(kit, principal, employee_id)
        assert kit.pool is not None
        return await views.development_of(kit.pool, employee_id)

    # Scheduled work: the same code the background sweeps run ------------------------------------

    @router.post("/sweeps/daily-reports", tags=["sweeps"])
    async def sweep_daily_reports(kit: Kit, principal: Scheduler) -> dict[str, int]:
        """R-A2: record the missed reports whose deadline has passed, and withdraw those that
        later calendar facts excuse (idempotent)."""
        recorded = await application.sweep_missed_daily_reports(kit, config)
        withdrawn = await application.withdraw_excused_missed_reports(kit)
        return {"recorded": recorded, "withdrawn": withdrawn}

    @router.post("/sweeps/progress-reports", tags=["sweeps"])
    async def sweep_progress_reports(kit: Kit, principal: Scheduler) -> dict[str, int]:
        """R-A3, R-B2.4: record the missed goal progress reports (idempotent)."""
        return {"recorded": await application.sweep_missed_progress_reports(kit, config)}

    return router
