"""HTTP API: validate, turn the request into a command or a query, answer.

Access: employees read their own scorecards and actions and appeal their own actions; supervisors
also read their direct reports' and their team's scoreboard; hr reads everything, opens and closes
periods, decides appeals and tries policies on history; the integration role opens and closes
periods and runs maintenance (the scheduler's work).
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from daybook_appraisal import application, views
from daybook_appraisal.domain.policy import PolicyError, load_policy
from daybook_appraisal.projections import rebuild_own_views
from daybook_appraisal.rebuild import (
    RebuildReport,
    begin_rebuild,
    catch_up,
    report_json,
    switch_to,
)
from daybook_appraisal.settings import AppraisalConfig
from daybook_shared.contracts.appraisal import PeriodId
from daybook_shared.contracts.base import EmployeeId, LongText, TeamId
from daybook_shared.contracts.hr import TimeZoneName
from daybook_shared.errors import InvalidCommand, NotFound
from daybook_shared.runtime.auth import Principal, Role, require_roles
from daybook_shared.runtime.errors import error_body
from daybook_shared.runtime.service import Kit, ServiceKit

Anyone = Annotated[
    Principal, Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR, Role.HR, Role.INTEGRATION))
]
Reader = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR, Role.HR))]
Manager = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.HR))]
Appellant = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR))]
Hr = Annotated[Principal, Depends(require_roles(Role.HR))]
log = structlog.get_logger("daybook.appraisal.api")

Scheduler = Annotated[Principal, Depends(require_roles(Role.HR, Role.INTEGRATION))]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying with the same key returns the first answer and stores nothing",
    ),
]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PeriodIn(RequestBody):
    """A period to appraise; the active policy is pinned to it unless `policy_version` names
    another (R-A8)."""

    period_id: PeriodId
    starts_on: date
    ends_on: date
    timezone: TimeZoneName | None = Field(
        default=None, description="where its last day ends; default: the organisation's"
    )
    policy_version: str | None = Field(default=None, max_length=64)


class AppealIn(RequestBody):
    reason: LongText


class DecisionIn(RequestBody):
    decision: Literal["upheld", "overturned"]
    reason: LongText | None = None


POLICY_MEDIA_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")


def policy_problems(error: PolicyError) -> JSONResponse:
    """A refused policy: 422 with every problem's line, field and message."""
    problems = [{"line": p.line, "field": p.field, "problem": p.message} for p in error.problems]
    first = error.problems[0] if error.problems else None
    detail = (
        f"the policy is invalid: line {first.line}, {first.field}: {first.message}"
        + (f"; and {len(problems) - 1} more" if len(problems) > 1 else "")
        if first
        else "the policy is invalid"
    )
    return JSONResponse(
        status_code=422,
        content=error_body(
            "invalid_policy", detail, first.field if first else None, errors=problems
        ),
    )


def build_router(config: AppraisalConfig) -> APIRouter:
    router = APIRouter(prefix="/appraisal", tags=["appraisal"])

    # Policies ------------------------------------------------------------------------------

    @router.get("/policies")
    async def list_policies(principal: Anyone) -> list[dict[str, Any]]:
        """Every policy version the service knows; `active` is the one new periods pin."""
        return [
            {
                "policy_version": loaded.version,
                "title": loaded.policy.title,
                "sha256": loaded.sha256,
                "active": loaded.version == config.active.version,
            }
            for loaded in sorted(config.policies.values(), key=lambda p: p.version)
        ]

    @router.get("/policies/{policy_version}", response_class=PlainTextResponse)
    async def read_policy(policy_version: str, principal: Anyone) -> PlainTextResponse:
        """The policy's exact text, so that anyone can read the rules they are scored by."""
        loaded = config.policies.get(policy_version)
        if loaded is None:
            raise NotFound(f"no policy {policy_version!r}", field="policy_version")
        return PlainTextResponse(loaded.text, media_type="application/yaml")

    # Periods -------------------------------------------------------------------------------

    @router.post("/periods", status_code=201)
    async def open_period(
        body: PeriodIn, kit: Kit, principal: Scheduler, idempotency_key: IdempotencyKey = None
    ) -> dict[str, Any]:
        return await application.open_period(
            kit,
            config,
            principal,
            period_id=body.period_id,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            timezone=body.timezone,
            policy_version=body.policy_version,
            idempotency_key=idempotency_key,
        )

    @router.get("/periods")
    async def list_periods(kit: Kit, principal: Anyone) -> list[dict[str, Any]]:
        return [application.period_json(row) for row in await views.periods(_pool(kit))]

    @router.get("/periods/{period_id}")
    async def read_period(period_id: PeriodId, kit: Kit, principal: Anyone) -> dict[str, Any]:
        return application.period_json(await views.period_row(_pool(kit), period_id))

    @router.post("/periods/{period_id}/close")
    async def close_period(period_id: PeriodId, kit: Kit, principal: Scheduler) -> dict[str, Any]:
        """Finalise every appraised employee and emit the outcomes; running it again changes
        nothing (R-B4.2, R-B4.3, R-B5.3)."""
        return await application.close_period(kit, config, principal, period_id)

    @router.get("/periods/{period_id}/scorecards/{employee_id}")
    async def read_scorecard(
        period_id: PeriodId, employee_id: EmployeeId, kit: Kit, principal: Reader
    ) -> dict[str, Any]:
        """Every component's value, weight and points and the events that counted, with their
        rule ids; live while the period is open, final after its close."""
        return await application.scorecard(kit, principal, period_id, employee_id)

    @router.get("/periods/{period_id}/scoreboard")
    async def read_scoreboard(
        period_id: PeriodId,
        kit: Kit,
        principal: Manager,
        team_id: Annotated[TeamId | None, Query()] = None,
    ) -> dict[str, Any]:
        return await application.scoreboard(kit, principal, period_id, team_id)

    @router.get("/periods/{period_id}/bands")
    async def read_band_distribution(
        period_id: PeriodId,
        kit: Kit,
        principal: Manager,
        team_id: Annotated[TeamId | None, Query()] = None,
    ) -> dict[str, Any]:
        return await application.band_distribution(kit, principal, period_id, team_id)

    @router.post(
        "/periods/{period_id}/what-if",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {media: {"schema": {"type": "string"}} for media in POLICY_MEDIA_TYPES},
            }
        },
    )
    async def what_if(period_id: PeriodId, request: Request, kit: Kit, principal: Hr) -> Any:
        """Score a closed period under a candidate policy (the YAML document as the body) beside
        its pinned one, per employee; nothing is recorded (R-A8)."""
        media = request.headers.get("content-type", "").split(";")[0].strip()
        if media not in POLICY_MEDIA_TYPES:
            raise InvalidCommand(
                f"send the candidate policy as YAML ({', '.join(POLICY_MEDIA_TYPES)}), "
                f"not {media or 'no content type'}",
                field="body",
            )
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCommand("the policy must be UTF-8 text", field="body") from None
        try:
            candidate = load_policy(text, "candidate policy")
        except PolicyError as error:
            return policy_problems(error)
        return await application.try_policy(kit, period_id, candidate)

    # Discipline and appeals ----------------------------------------------------------------

    @router.get("/employees/{employee_id}/actions")
    async def list_actions(
        employee_id: EmployeeId, kit: Kit, principal: Reader
    ) -> list[dict[str, Any]]:
        return await application.employee_actions(kit, principal, employee_id)

    @router.post("/actions/{action_id}/appeal", status_code=201)
    async def appeal(
        action_id: UUID,
        body: AppealIn,
        kit: Kit,
        principal: Appellant,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """The employee contests their own disciplinary action, with a reason (R-B4.3)."""
        return await application.file_appeal(
            kit, principal, action_id, body.reason, idempotency_key
        )

    @router.get("/appeals")
    async def list_appeals(
        kit: Kit, principal: Hr, undecided: Annotated[bool, Query()] = True
    ) -> list[dict[str, Any]]:
        return [
            _appeal_json(row) for row in await views.appeals(_pool(kit), undecided_only=undecided)
        ]

    @router.post("/appeals/{appeal_id}/decision")
    async def decide(
        appeal_id: UUID,
        body: DecisionIn,
        kit: Kit,
        principal: Hr,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        """hr upholds or overturns; an overturned action no longer counts towards escalation."""
        return await application.decide_appeal(
            kit, principal, appeal_id, body.decision, body.reason, idempotency_key
        )

    # Maintenance ---------------------------------------------------------------------------

    @router.get("/admin/projections")
    async def list_generations(kit: Kit, principal: Scheduler) -> list[dict[str, Any]]:
        return [
            {
                **row,
                **{
                    k: row[k].isoformat()
                    for k in ("created_at", "progressed_at", "switched_at")
                    if row[k]
                },
            }
            for row in await views.generations(_pool(kit))
        ]

    @router.post("/admin/projections/rebuild", status_code=202)
    async def rebuild(
        kit: Kit,
        principal: Scheduler,
        request: Request,
        switch: Annotated[bool, Query(description="switch to it once caught up")] = True,
    ) -> dict[str, Any]:
        """Rebuild the facts and roster from the streams beside the live ones, then switch.
        Answers at once; follow it on `GET /appraisal/admin/projections`."""
        assert kit.js is not None
        report = await begin_rebuild(_pool(kit), kit.js, kit.namespace, kit.clock.now())
        tasks: set[asyncio.Task[None]] = request.app.state.rebuilds
        task = asyncio.create_task(
            _finish_rebuild(kit, report, switch, config), name=f"rebuild-{report.generation}"
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return report_json(report)

    @router.post("/admin/projections/{generation}/switch")
    async def switch(generation: int, kit: Kit, principal: Scheduler) -> dict[str, Any]:
        await switch_to(_pool(kit), generation)
        return {"generation": generation, "status": "live"}

    @router.post("/admin/own-views/rebuild")
    async def rebuild_own(kit: Kit, principal: Scheduler) -> dict[str, Any]:
        """Refill periods, appraisals, actions and appeals from the service's own log."""
        assert kit.store is not None
        async with _pool(kit).acquire() as conn:
            replayed = await rebuild_own_views(kit.store, conn)
        return {"replayed": replayed}

    @router.get("/admin/dead-letters")
    async def list_dead_letters(kit: Kit, principal: Scheduler) -> list[dict[str, Any]]:
        assert kit.dead_letters is not None
        return [
            {k: v for k, v in letter.__dict__.items() if k != "data"}
            for letter in await kit.dead_letters.list()
        ]

    @router.post("/admin/dead-letters/{dead_letter_id}/replay")
    async def replay_dead_letter(
        dead_letter_id: int, kit: Kit, principal: Scheduler
    ) -> dict[str, Any]:
        assert kit.dead_letters is not None
        [projection] = kit.projections.values()
        try:
            replayed = await kit.dead_letters.replay(dead_letter_id, projection)
        except LookupError as error:
            raise NotFound(str(error), field="dead_letter_id") from None
        return {"dead_letter_id": dead_letter_id, "replayed": replayed}

    return router


async def _finish_rebuild(
    kit: ServiceKit, report: RebuildReport, switch: bool, config: AppraisalConfig
) -> None:
    """The rebuild's background part. A failure is logged; its generation stays `building` and
    the next rebuild request replaces it once it is stale."""
    assert kit.nc is not None
    try:
        await catch_up(
            _pool(kit), kit.nc, kit.namespace, report, batch_size=config.rebuild_batch_size
        )
        if switch:
            await switch_to(_pool(kit), report.generation)
    except Exception as error:
        log.error("rebuild.failed", generation=report.generation, error=repr(error))


def _pool(kit: ServiceKit) -> Any:
    assert kit.pool is not None, "the service is not started"
    return kit.pool


def _appeal_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (
            value.isoformat()
            if hasattr(value, "isoformat")
            else str(value)
            if isinstance(value, UUID)
            else value
        )
        for key, value in row.items()
    }
