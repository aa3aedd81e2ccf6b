"""Running a plan through the services' public HTTP APIs, moment by moment on the shared clock.

At each moment the simulated time is written to the clock file every service reads, then the
moment's actions run: an action without a lane (a sweep, the day close) alone and in order, the
others grouped by lane (a person, a badge reader), lanes side by side and each lane in order.
Every command carries an idempotency key derived from the action, so a request retried after a
lost answer records nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from daybook_cli.client import ApiError, Caller, Daybook
from daybook_cli.simulation.plan import (
    GRACE_MINUTES,
    PROFILE_FIELDS,
    WORKDAYS,
    Action,
    AnswerInquiry,
    AskEarlyLeave,
    AskLateArrival,
    AssignSchedule,
    CloseDays,
    DeclareGift,
    DeclareHoliday,
    FileComplaint,
    LogInteraction,
    LogTraining,
    LoseDeal,
    Moment,
    ObtainCertification,
    OpenDeal,
    OpenPeriod,
    Plan,
    RateService,
    ReceiveInquiry,
    RegisterCustomer,
    ReportProgress,
    ResolveComplaint,
    SetGoal,
    SetTeamTarget,
    SubmitDailyReport,
    SubmitMarketReport,
    SweepOverdue,
    SweepReports,
    SweepStaleRecords,
    TakeLeave,
    UploadPunches,
    WinDeal,
    money,
)
from daybook_shared.contracts.hr import HrEvent
from daybook_shared.runtime.clock import FileClock

CONCURRENT_LANES = 8
SAMPLE_PROFILE = {
    "name": "Customer {n}",
    "company": "Company {n} Ltd",
    "contact_person": "Purchasing manager {n}",
    "email": "buyer{n}@company{n}.example.com",
    "phone": "+86 21 5555 {n:04d}",
    "address": "{n} Nanjing Road",
    "city": "Shanghai",
    "country": "China",
    "industry": "Logistics",
    "website": "https://company{n}.example.com",
}

Progress = Callable[[Moment, int], None]
"""Told after each action: the moment it belongs to and how many actions it completed (1)."""


@dataclass
class Simulator:
    daybook: Daybook
    clock: FileClock
    settle: Callable[[], Awaitable[None]]
    publish_roster: Callable[[Sequence[HrEvent], datetime], Awaitable[int]]
    on_progress: Progress = lambda moment, done: None
    on_moment_done: Callable[[Moment], Awaitable[None]] | None = None
    """Called after each moment (tests kill and restart services there)."""
    concurrency: int = CONCURRENT_LANES
    targets: dict[str, str] = field(default_factory=dict)
    goals: dict[str, str] = field(default_factory=dict)

    async def run(self, plan: Plan) -> None:
        """The whole plan: the roster through the HR boundary, then every moment in order."""
        self.hr = Caller.hr(plan.organisation.hr.employee_id)
        first = plan.moments[0]
        self.clock.set(first.at)
        await self.publish_roster(plan.organisation.hr_events(), first.at)
        await self.settle()
        for moment in plan.moments:
            self.clock.set(moment.at)
            await self.run_moment(moment)
            if moment.settle_after:
                await self.settle()
            if self.on_moment_done is not None:
                await self.on_moment_done(moment)

    async def run_moment(self, moment: Moment) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        for _, phase in groupby(moment.actions, key=lambda action: action.phase):
            lanes: dict[str, list[Action]] = {}
            for action in phase:
                if action.lane is None:
                    await self.perform(action)
                    self.on_progress(moment, 1)
                else:
                    lanes.setdefault(action.lane, []).append(action)

            async def run_lane(actions: list[Action]) -> None:
                async with gate:
                    for action in actions:
                        await self.perform(action)
                        self.on_progress(moment, 1)

            try:
                async with asyncio.TaskGroup() as group:
                    for actions in lanes.values():
                        group.create_task(run_lane(actions))
            except ExceptionGroup as failed:
                # The first lane's failure says what went wrong; the others were cancelled.
                raise failed.exceptions[0] from None

    async def perform(self, action: Action) -> Any:
        key = _idempotency_key(action)
        body: dict[str, Any]
        match action:
            case DeclareHoliday():
                body = {"holiday_date": action.day.isoformat(), "name": action.name}
                return await self.daybook.attendance.call("POST", "/holidays", self.hr, json=body)
            case AssignSchedule():
                body = {
                    "workdays": list(WORKDAYS),
                    "starts_at": "09:00",
                    "ends_at": "18:00",
                    "late_grace_minutes": GRACE_MINUTES,
                    "early_grace_minutes": GRACE_MINUTES,
                    "effective_from": action.effective_from.isoformat(),
                }
                path = f"/employees/{action.employee_id}/schedules"
                return await self.daybook.attendance.call(
                    "POST", path, self.hr, json=body, idempotency_key=key
                )
            case SetTeamTarget():
                body = {
                    "team_id": action.team_id,
                    "metric": "sales_amount",
                    "amount": money(action.amount),
                    "period_start": action.starts_on.isoformat(),
                    "period_end": action.ends_on.isoformat(),
                }
                answer = await self.daybook.reporting.call(
                    "POST", "/targets", self.hr, json=body, idempotency_key=key
                )
                self.targets[action.team_id] = answer["target_id"]
                return answer
            case SetGoal():
                body = {
                    "employee_id": action.employee_id,
                    "amount": money(action.amount),
                    "cadence": "weekly",
                }
                path = f"/targets/{self.targets[action.team_id]}/goals"
                supervisor = Caller.supervisor(action.supervisor_id)
                answer = await self.daybook.reporting.call("POST", path, supervisor, json=body)
                self.goals[action.employee_id] = answer["goal"]["goal_id"]
                return answer
            case RegisterCustomer():
                number = int(action.customer_id.rsplit("C", 1)[1]) + 10 * len(action.employee_id)
                profile = {
                    name: SAMPLE_PROFILE[name].format(n=number)
                    for name in PROFILE_FIELDS[: action.fields]
                }
                body = {
                    "customer_id": action.customer_id,
                    "owner_employee_id": action.employee_id,
                    "at": action.at.isoformat(),
                    **profile,
                }
                return await self.daybook.crm.call(
                    "POST",
                    "/customers",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case TakeLeave():
                body = {
                    "first_day": action.first_day.isoformat(),
                    "last_day": action.last_day.isoformat(),
                    "leave_type": "annual",
                    "reason": "Annual leave",
                }
                path = f"/employees/{action.employee_id}/leave-requests"
                return await self._ask_and_approve(action, path, body, key)
            case OpenPeriod():
                body = {
                    "period_id": action.period_id,
                    "starts_on": action.starts_on.isoformat(),
                    "ends_on": action.ends_on.isoformat(),
                    "timezone": action.timezone,
                }
                return await self.daybook.appraisal.call(
                    "POST", "/appraisal/periods", self.hr, json=body
                )
            case CloseDays():
                return await self.daybook.attendance.call("POST", "/day-close", _SCHEDULER)
            case SweepReports():
                await self.daybook.reporting.call("POST", "/sweeps/daily-reports", _SCHEDULER)
                return await self.daybook.reporting.call(
                    "POST", "/sweeps/progress-reports", _SCHEDULER
                )
            case SweepOverdue():
                return await self.daybook.crm.call("POST", "/sweeps/overdue", _SCHEDULER)
            case SweepStaleRecords():
                return await self.daybook.crm.call("POST", "/sweeps/stale-records", _SCHEDULER)
            case AskLateArrival():
                body = {
                    "work_date": action.day.isoformat(),
                    "expected_arrival": action.expected_arrival.isoformat(),
                    "reason": "Customer visit on the way in",
                }
                path = f"/employees/{action.employee_id}/late-arrival-requests"
                return await self._ask_and_approve(action, path, body, key)
            case AskEarlyLeave():
                body = {
                    "work_date": action.day.isoformat(),
                    "leave_at": action.leave_at.isoformat(),
                    "reason": "Medical appointment",
                }
                path = f"/employees/{action.employee_id}/early-leave-requests"
                return await self._ask_and_approve(action, path, body, key)
            case UploadPunches():
                lines = "\n".join(
                    json.dumps(
                        {
                            "employee_id": punch.employee_id,
                            "kind": punch.kind,
                            "device_time": punch.at.isoformat(),
                        }
                    )
                    for punch in action.punches
                )
                return await self.daybook.attendance.call(
                    "POST",
                    f"/devices/{action.device_id}/punches",
                    Caller.integration(action.device_id),
                    content=lines,
                    content_type="application/x-ndjson",
                    idempotency_key=key,
                )
            case SubmitDailyReport():
                body = {
                    "report_date": action.day.isoformat(),
                    "work": "Visited two accounts, prepared a proposal, followed up leads.",
                    "progress": "Proposal sent; one lead qualified.",
                    "challenges": "A customer is comparing our price with a competitor's.",
                    "solutions": "Prepared a value comparison and asked for a second meeting.",
                }
                return await self.daybook.reporting.call(
                    "POST",
                    "/daily-reports",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case ReportProgress():
                body = {
                    "period_start": action.period_start.isoformat(),
                    "amount": money(action.amount),
                    "narrative": "Pipeline reviewed; the week's deals followed up.",
                    "next_period_plan": "Close the open proposals and qualify new leads.",
                }
                path = f"/goals/{self.goals[action.employee_id]}/progress"
                return await self.daybook.reporting.call(
                    "POST",
                    path,
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case LogInteraction():
                body = {
                    "interaction_id": key[:32],
                    "channel": action.channel,
                    "at": action.at.isoformat(),
                    "duration_minutes": 20,
                }
                path = f"/customers/{action.customer_id}/interactions"
                return await self.daybook.crm.call(
                    "POST",
                    path,
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case ReceiveInquiry():
                body = {
                    "inquiry_id": action.inquiry_id,
                    "customer_id": action.customer_id,
                    "channel": action.channel,
                    "received_at": action.at.isoformat(),
                }
                return await self.daybook.crm.call(
                    "POST",
                    "/inquiries",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case AnswerInquiry():
                path = f"/inquiries/{action.inquiry_id}/response"
                body = {"responded_at": action.at.isoformat()}
                return await self.daybook.crm.call(
                    "POST",
                    path,
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case FileComplaint():
                body = {
                    "complaint_id": action.complaint_id,
                    "customer_id": action.customer_id,
                    "severity": action.severity,
                    "filed_at": action.at.isoformat(),
                }
                return await self.daybook.crm.call(
                    "POST",
                    "/complaints",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case ResolveComplaint():
                path = f"/complaints/{action.complaint_id}/resolution"
                body = {"outcome": "upheld", "resolved_at": action.at.isoformat()}
                return await self.daybook.crm.call(
                    "POST",
                    path,
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case OpenDeal():
                body = {
                    "deal_id": action.deal_id,
                    "customer_id": action.customer_id,
                    "stage": "proposal",
                    "expected_amount": money(action.expected),
                    "at": action.at.isoformat(),
                }
                return await self.daybook.crm.call(
                    "POST",
                    "/deals",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case WinDeal():
                body = {"amount": money(action.amount), "at": action.at.isoformat()}
                return await self.daybook.crm.call(
                    "POST",
                    f"/deals/{action.deal_id}/won",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case LoseDeal():
                body = {"reason": action.reason, "at": action.at.isoformat()}
                return await self.daybook.crm.call(
                    "POST",
                    f"/deals/{action.deal_id}/lost",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case RateService():
                body = {
                    "rating_id": action.rating_id,
                    "customer_id": action.customer_id,
                    "rating": action.rating,
                    "served_by": action.employee_id,
                    "at": action.at.isoformat(),
                }
                return await self.daybook.crm.call(
                    "POST", "/ratings", _SURVEY, json=body, idempotency_key=key
                )
            case DeclareGift():
                body = {
                    "declaration_id": action.declaration_id,
                    "customer_id": action.customer_id,
                    "kind": action.gift.kind,
                    "decision": "accepted" if action.gift.accepted else "declined",
                    "value": money(action.gift.value),
                    "at": action.at.isoformat(),
                }
                return await self.daybook.crm.call(
                    "POST",
                    "/gifts",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case LogTraining():
                body = {
                    "kind": action.kind,
                    "title": action.title,
                    "hours": str(action.hours),
                    "completed_on": action.day.isoformat(),
                }
                return await self.daybook.reporting.call(
                    "POST",
                    "/development/activities",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case ObtainCertification():
                body = {
                    "name": action.name,
                    "issuer": "China Sales Professionals Association",
                    "obtained_on": action.day.isoformat(),
                }
                return await self.daybook.reporting.call(
                    "POST",
                    "/development/certifications",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
            case SubmitMarketReport():
                body = {
                    "topic": action.topic,
                    "competitors": ["Acme Logistics", "Harbour Freight"],
                    "findings": "Competitors discount 5-8% for annual contracts; service lags.",
                }
                return await self.daybook.reporting.call(
                    "POST",
                    "/market-reports",
                    Caller.employee(action.employee_id),
                    json=body,
                    idempotency_key=key,
                )
        raise TypeError(f"no way to perform {type(action).__name__}")

    async def _ask_and_approve(
        self, action: TakeLeave | AskLateArrival | AskEarlyLeave, path: str, body: Any, key: str
    ) -> Any:
        """The employee asks; their supervisor approves (R-A1)."""
        asked = await self.daybook.attendance.call(
            "POST", path, Caller.employee(action.employee_id), json=body, idempotency_key=key
        )
        try:
            return await self.daybook.attendance.call(
                "POST",
                f"/requests/{asked['request_id']}/approve",
                Caller.supervisor(action.supervisor_id),
                json={"note": "Approved"},
            )
        except ApiError as error:
            if error.status != 409:  # 409: decided already, by this very call before a retry
                raise
            return asked


_SCHEDULER = Caller.integration("daybook-scheduler")
_SURVEY = Caller.integration("customer-survey")


def _idempotency_key(action: Action) -> str:
    """The same action always carries the same key (its type and content)."""
    return hashlib.sha256(repr(action).encode()).hexdigest()[:40]
