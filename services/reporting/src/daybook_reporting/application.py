"""Command handlers: load the stream, gather the roster and calendar, decide, append, update views.

Each handler runs inside one transaction of the kit's event store (`ServiceKit.execute`); its
return value is the command's answer, stored against an idempotency key when the client sent one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import structlog

from daybook_reporting.domain import daily_reports, development, goals, market_research
from daybook_reporting.domain.access import (
    Caller,
    require_manage_goals,
    require_review,
    require_set_target,
)
from daybook_reporting.domain.facts import Recorded
from daybook_reporting.projections import apply_own
from daybook_reporting.roster import load_calendar, require_entry, roster_entry
from daybook_reporting.settings import ReportingConfig
from daybook_reporting.views import coverage_answer
from daybook_shared.contracts import Event, Money
from daybook_shared.contracts.reporting import Cadence, DevelopmentKind
from daybook_shared.errors import Forbidden
from daybook_shared.kit.eventstore import NewEvent, UnitOfWork
from daybook_shared.runtime.auth import Principal
from daybook_shared.runtime.service import ServiceKit

S = TypeVar("S")

log = structlog.get_logger("daybook.reporting")


def caller_of(principal: Principal) -> Caller:
    return Caller(role=principal.role.value, employee_id=principal.employee_id)


def _own_employee_id(principal: Principal, what: str) -> str:
    """R-A2, R-A3: people write their own reports; a token without an employee cannot."""
    if principal.employee_id is None:
        raise Forbidden(f"only an employee submits {what}, and this token names none")
    return principal.employee_id


async def _fold(uow: UnitOfWork, stream_id: str, evolve: Callable[[S, Any], S], initial: S) -> S:
    events = await uow.load(stream_id)
    return reduce(evolve, (event.payload for event in events), initial)


async def _record(uow: UnitOfWork, stream_id: str, recorded: Sequence[Recorded]) -> list[Event]:
    """Append the decision's events and update reporting's own views in the same transaction."""
    stored = await uow.append(
        stream_id, [NewEvent(r.payload, r.occurred_at, r.event_id) for r in recorded]
    )
    for event in stored:
        await apply_own(uow.conn, event.payload, event.occurred_at)
    return stored


def _answer(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(event.event_id),
            "event_type": event.event_type,
            **event.payload.model_dump(mode="json"),
        }
        for event in events
    ]


# Daily reports (R-A2) -----------------------------------------------------------------------


@dataclass(frozen=True)
class DailyReportText:
    report_date: date
    work: str
    progress: str
    challenges: str
    solutions: str


async def submit_daily_report(
    kit: ServiceKit,
    config: ReportingConfig,
    principal: Principal,
    text: DailyReportText,
    *,
    idempotency_key: str | None,
    request: Any,
) -> dict[str, Any]:
    employee_id = _own_employee_id(principal, "a daily report")
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        entry = await require_entry(uow.conn, employee_id)
        calendar = await load_calendar(uow.conn, entry, text.report_date, text.report_date)
        stream = daily_reports.daily_report_stream(employee_id, text.report_date)
        state = await _fold(uow, stream, daily_reports.evolve, daily_reports.DailyReport())
        command = daily_reports.SubmitDailyReport(
            employee_id=employee_id,
            report_date=text.report_date,
            work=text.work,
            progress=text.progress,
            challenges=text.challenges,
            solutions=text.solutions,
            submitted_at=now,
            supervisor_id=entry.supervisor_id,
            calendar=calendar,
            policy=config.daily_deadline,
        )
        [event] = await _record(uow, stream, daily_reports.submit(command, state))
        return _answer([event])[0]

    outcome = await kit.execute(
        "SubmitDailyReport",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome.response


async def review_daily_report(
    kit: ServiceKit,
    principal: Principal,
    employee_id: str,
    report_date: date,
    comment: str,
    revision: int | None,
    *,
    idempotency_key: str | None = None,
    request: Any = None,
) -> dict[str, Any]:
    reviewer_id = principal.employee_id or principal.subject
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        entry = await require_entry(uow.conn, employee_id)
        require_review(caller_of(principal), entry.member)
        stream = daily_reports.daily_report_stream(employee_id, report_date)
        state = await _fold(uow, stream, daily_reports.evolve, daily_reports.DailyReport())
        command = daily_reports.ReviewDailyReport(
            employee_id=employee_id,
            report_date=report_date,
            reviewer_id=reviewer_id,
            comment=comment,
            reviewed_at=now,
            revision=revision,
        )
        [event] = await _record(uow, stream, daily_reports.review(command, state))
        return _answer([event])[0]

    outcome = await kit.execute(
        "ReviewDailyReport",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome.response


async def _sweep_each(
    kit: ServiceKit, command: str, handlers: dict[Any, Callable[[UnitOfWork], Any]]
) -> int:
    """Run one sweep transaction per item; a failing item is logged and retried on the next run,
    and never holds up the items after it. Returns the sum of the handlers' counts."""
    total = 0
    for item, handler in handlers.items():
        try:
            outcome = await kit.execute(command, handler, principal=None)
        except Exception as exc:
            log.error("sweep.item_failed", command=command, item=str(item), error=repr(exc))
            continue
        total += outcome.response
    return total


async def sweep_missed_daily_reports(kit: ServiceKit, config: ReportingConfig) -> int:
    """R-A2: record every working day whose deadline passed with no report in by then.

    One transaction per employee, holding the employee's sweep cursor with SKIP LOCKED, so two
    replicas never sweep the same employee at once; the missed events' ids are derived from
    employee and day, so a repeated sweep records nothing twice. Returns how many were recorded.
    """
    assert kit.pool is not None
    now = kit.clock.now()
    rows = await kit.pool.fetch(
        """
        SELECT r.employee_id FROM roster r
        LEFT JOIN daily_report_sweep s USING (employee_id)
        WHERE (s.next_due_at IS NULL OR s.next_due_at <= $1)
          AND (r.left_on IS NULL OR s.next_date IS NULL OR s.next_date < r.left_on)
          AND r.role = ANY($2::text[])
        ORDER BY r.employee_id
        """,
        now,
        list(config.daily_report_roles),
    )
    return await _sweep_each(
        kit,
        "RecordMissedDailyReports",
        {row["employee_id"]: _daily_sweep_handler(config, row["employee_id"], now) for row in rows},
    )


def _daily_sweep_handler(
    config: ReportingConfig, employee_id: str, now: datetime
) -> Callable[[UnitOfWork], Any]:
    async def handler(uow: UnitOfWork) -> int:
        conn = uow.conn
        entry = await roster_entry(conn, employee_id)
        if entry is None:
            return 0
        today = _local_today(entry.timezone, now)
        start = max(
            entry.hired_on,
            config.reports_required_from or entry.hired_on,
            today - timedelta(days=config.sweep_lookback_days),
        )
        await conn.execute(
            "INSERT INTO daily_report_sweep (employee_id, next_date) VALUES ($1, $2) "
            "ON CONFLICT (employee_id) DO NOTHING",
            employee_id,
            start,
        )
        next_date = await conn.fetchval(
            "SELECT next_date FROM daily_report_sweep WHERE employee_id = $1 "
            "FOR UPDATE SKIP LOCKED",
            employee_id,
        )
        if next_date is None:
            return 0  # another replica is sweeping this employee right now
        # The roster's zone and the schedule's may differ by a day: load a day more, then take
        # today in the calendar's own zone.
        calendar = await load_calendar(
            conn, entry, next_date, max(today + timedelta(days=1), next_date)
        )
        today = calendar.local_date(now)
        day = next_date
        next_due_at: datetime | None = None
        recorded = 0
        while day <= today:
            if calendar.is_working_day(day):
                deadline = config.daily_deadline.deadline(calendar, day)
                if deadline > now:
                    next_due_at = deadline
                    break
                stream = daily_reports.daily_report_stream(employee_id, day)
                state = await _fold(uow, stream, daily_reports.evolve, daily_reports.DailyReport())
                command = daily_reports.RecordMissedDailyReport(
                    employee_id=employee_id,
                    report_date=day,
                    now=now,
                    supervisor_id=entry.supervisor_id,
                    calendar=calendar,
                    policy=config.daily_deadline,
                )
                recorded += len(
                    await _record(uow, stream, daily_reports.record_missed(command, state))
                )
            day += timedelta(days=1)
        if next_due_at is None:
            # Not yet begun: the day cannot be due before it starts; look again then.
            next_due_at = calendar.local_moment(day, datetime.min.time())
        await conn.execute(
            "UPDATE daily_report_sweep SET next_date = $2, next_due_at = $3 WHERE employee_id = $1",
            employee_id,
            day,
            next_due_at,
        )
        return recorded

    return handler


async def withdraw_excused_missed_reports(kit: ServiceKit, batch: int = 500) -> int:
    """R-A2: withdraw missed records of days that later calendar facts show were not working days.

    Works through the days the calendar projections noted (`calendar_rechecks`), one note per
    transaction taken with SKIP LOCKED; returns how many missed records were withdrawn.
    """
    assert kit.pool is not None
    rows = await kit.pool.fetch("SELECT id FROM calendar_rechecks ORDER BY id LIMIT $1", batch)
    return await _sweep_each(
        kit, "WithdrawMissedDailyReports", {row["id"]: _recheck_handler(row["id"]) for row in rows}
    )


def _recheck_handler(recheck_id: int) -> Callable[[UnitOfWork], Any]:
    async def handler(uow: UnitOfWork) -> int:
        conn = uow.conn
        note = await conn.fetchrow(
            "SELECT employee_id, first_day, last_day FROM calendar_rechecks WHERE id = $1 "
            "FOR UPDATE SKIP LOCKED",
            recheck_id,
        )
        if note is None:
            return 0
        # A missed-report sweep holds its employee's cursor row while it decides: wait for any in
        # flight, so a missed record it is about to commit is seen here and not left standing.
        await conn.execute(
            "SELECT 1 FROM daily_report_sweep WHERE $1::text IS NULL OR employee_id = $1 "
            "ORDER BY employee_id FOR UPDATE",
            note["employee_id"],
        )
        candidates = await conn.fetch(
            """
            SELECT employee_id, report_date FROM daily_reports
            WHERE missed AND NOT missed_withdrawn AND report_date BETWEEN $2 AND $3
              AND ($1::text IS NULL OR employee_id = $1)
            ORDER BY employee_id, report_date
            """,
            note["employee_id"],
            note["first_day"],
            note["last_day"],
        )
        withdrawn = 0
        for candidate in candidates:
            employee_id, day = candidate["employee_id"], candidate["report_date"]
            entry = await roster_entry(conn, employee_id)
            if entry is None:
                continue
            calendar = await load_calendar(conn, entry, day, day)
            stream = daily_reports.daily_report_stream(employee_id, day)
            state = await _fold(uow, stream, daily_reports.evolve, daily_reports.DailyReport())
            command = daily_reports.WithdrawMissedDailyReport(employee_id, day, calendar)
            withdrawn += len(
                await _record(uow, stream, daily_reports.withdraw_missed(command, state))
            )
        await conn.execute("DELETE FROM calendar_rechecks WHERE id = $1", recheck_id)
        return withdrawn

    return handler


def _local_today(timezone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


# Targets and goals (R-A3, R-B2.4) ---------------------------------------------------------------


@dataclass(frozen=True)
class TargetSpec:
    team_id: str | None
    metric: str
    amount: Money | None
    count: int | None
    period_start: date
    period_end: date


async def set_company_target(
    kit: ServiceKit,
    principal: Principal,
    spec: TargetSpec,
    *,
    idempotency_key: str | None,
    request: Any,
) -> dict[str, Any]:
    target_id = uuid4()
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        caller = caller_of(principal)
        own = await roster_entry(uow.conn, caller.employee_id) if caller.employee_id else None
        require_set_target(caller, spec.team_id, own.team_id if own else None)
        stream = goals.target_stream(target_id)
        state = await _fold(uow, stream, goals.evolve_target, goals.Target())
        command = goals.SetCompanyTarget(
            target_id=target_id,
            team_id=spec.team_id,
            metric=spec.metric,
            amount=spec.amount,
            count=spec.count,
            period_start=spec.period_start,
            period_end=spec.period_end,
            set_at=now,
        )
        [event] = await _record(uow, stream, goals.set_target(command, state))
        return _answer([event])[0]

    outcome = await kit.execute(
        "SetCompanyTarget",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome.response


@dataclass(frozen=True)
class GoalSpec:
    employee_id: str
    amount: Money | None
    count: int | None
    cadence: Cadence


async def set_goal(
    kit: ServiceKit, principal: Principal, target_id: UUID, spec: GoalSpec
) -> dict[str, Any]:
    """R-A3: derive a goal from the target; the answer says whether the goals now cover it."""
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        entry = await require_entry(uow.conn, spec.employee_id)
        require_manage_goals(caller_of(principal), entry.member)
        stream = goals.target_stream(target_id)
        state = await _fold(uow, stream, goals.evolve_target, goals.Target())
        command = goals.SetGoal(
            target_id=target_id,
            employee_id=spec.employee_id,
            employee_team_id=entry.team_id,
            amount=spec.amount,
            count=spec.count,
            cadence=spec.cadence,
            set_at=now,
            today=_local_today(entry.timezone, now),
        )
        recorded = goals.set_goal(command, state)
        stored = await _record(uow, stream, recorded)
        for event in stored:
            state = goals.evolve_target(state, event.payload)
        goal = state.goals[spec.employee_id]
        return {
            "goal": goal.model_dump(mode="json"),
            "changed": bool(stored),
            "coverage": coverage_answer(state),
        }

    outcome = await kit.execute("SetGoal", handler, principal=principal)
    return outcome.response


@dataclass(frozen=True)
class ProgressSpec:
    period_start: date
    amount: Money | None
    count: int | None
    narrative: str
    next_period_plan: str


async def _goal_of(uow: UnitOfWork, goal_id: UUID) -> goals.GoalSet | None:
    row = await uow.conn.fetchrow(
        "SELECT target_id, employee_id FROM goals WHERE goal_id = $1", goal_id
    )
    if row is None:
        return None
    target = await _fold(
        uow, goals.target_stream(row["target_id"]), goals.evolve_target, goals.Target()
    )
    return target.goals.get(row["employee_id"])


async def report_goal_progress(
    kit: ServiceKit,
    config: ReportingConfig,
    principal: Principal,
    goal_id: UUID,
    spec: ProgressSpec,
    *,
    idempotency_key: str | None,
    request: Any,
) -> dict[str, Any]:
    reporter_id = _own_employee_id(principal, "goal progress")
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        goal = await _goal_of(uow, goal_id)
        entry = await require_entry(uow.conn, goal.employee_id if goal else reporter_id)
        calendar = await load_calendar(
            uow.conn, entry, spec.period_start, goal.period_end if goal else spec.period_start
        )
        stream = goals.goal_stream(goal_id)
        state = await _fold(uow, stream, goals.evolve_progress, goals.GoalProgress())
        command = goals.ReportGoalProgress(
            goal_id=goal_id,
            goal=goal,
            reporter_id=reporter_id,
            period_start=spec.period_start,
            amount=spec.amount,
            count=spec.count,
            narrative=spec.narrative,
            next_period_plan=spec.next_period_plan,
            submitted_at=now,
            calendar=calendar,
            policy=config.progress_deadline,
        )
        [event] = await _record(uow, stream, goals.report_progress(command, state))
        return _answer([event])[0]

    outcome = await kit.execute(
        "ReportGoalProgress",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome.response


async def sweep_missed_progress_reports(kit: ServiceKit, config: ReportingConfig) -> int:
    """R-A3, R-B2.4: record each goal period whose deadline passed with no progress report in.

    Per goal, like the daily sweep: a cursor row taken with SKIP LOCKED, derived event ids.
    """
    assert kit.pool is not None
    now = kit.clock.now()
    rows = await kit.pool.fetch(
        """
        SELECT g.goal_id FROM goals g
        LEFT JOIN goal_progress_sweep s USING (goal_id)
        WHERE (s.next_due_at IS NULL OR s.next_due_at <= $1)
          AND (s.next_period_start IS NULL OR s.next_period_start <= g.period_end)
        ORDER BY g.goal_id
        """,
        now,
    )
    return await _sweep_each(
        kit,
        "RecordMissedProgressReports",
        {row["goal_id"]: _progress_sweep_handler(config, row["goal_id"], now) for row in rows},
    )


def _progress_sweep_handler(
    config: ReportingConfig, goal_id: UUID, now: datetime
) -> Callable[[UnitOfWork], Any]:
    async def handler(uow: UnitOfWork) -> int:
        conn = uow.conn
        goal = await _goal_of(uow, goal_id)
        if goal is None:
            return 0
        entry = await roster_entry(conn, goal.employee_id)
        if entry is None:
            return 0
        await conn.execute(
            "INSERT INTO goal_progress_sweep (goal_id, next_period_start) VALUES ($1, $2) "
            "ON CONFLICT (goal_id) DO NOTHING",
            goal_id,
            goal.period_start,
        )
        cursor = await conn.fetchval(
            "SELECT next_period_start FROM goal_progress_sweep WHERE goal_id = $1 "
            "FOR UPDATE SKIP LOCKED",
            goal_id,
        )
        if cursor is None:
            return 0
        calendar = await load_calendar(conn, entry, goal.period_start, goal.period_end)
        stream = goals.goal_stream(goal_id)
        recorded = 0
        next_due_at: datetime | None = None
        next_start = cursor
        for period in goals.progress_periods(goal):
            if period[0] < cursor:
                continue
            deadline = goals.progress_deadline(period, calendar, config.progress_deadline)
            if deadline > now:
                next_due_at = deadline
                break
            state = await _fold(uow, stream, goals.evolve_progress, goals.GoalProgress())
            command = goals.RecordMissedProgressReport(
                goal=goal,
                period_start=period[0],
                now=now,
                calendar=calendar,
                policy=config.progress_deadline,
            )
            recorded += len(
                await _record(uow, stream, goals.record_missed_progress(command, state))
            )
            next_start = period[1] + timedelta(days=1)
        await conn.execute(
            "UPDATE goal_progress_sweep SET next_period_start = $2, next_due_at = $3 "
            "WHERE goal_id = $1",
            goal_id,
            next_start,
            next_due_at,
        )
        return recorded

    return handler


# Market research (R-B2.3) and development (R-A6, R-B5) --------------------------------------------


@dataclass(frozen=True)
class MarketReportSpec:
    topic: str
    competitors: tuple[str, ...]
    findings: str


async def submit_market_report(
    kit: ServiceKit,
    principal: Principal,
    spec: MarketReportSpec,
    *,
    idempotency_key: str | None,
    request: Any,
) -> dict[str, Any]:
    employee_id = _own_employee_id(principal, "a market report")
    report_id = uuid4()
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        await require_entry(uow.conn, employee_id)
        stream = market_research.market_report_stream(report_id)
        state = await _fold(uow, stream, market_research.evolve, market_research.MarketReport())
        command = market_research.SubmitMarketReport(
            report_id=report_id,
            employee_id=employee_id,
            topic=spec.topic,
            competitors=spec.competitors,
            findings=spec.findings,
            submitted_at=now,
        )
        [event] = await _record(uow, stream, market_research.submit(command, state))
        return _answer([event])[0]

    outcome = await kit.execute(
        "SubmitMarketReport",
        handler,
        principal=principal,
        idempotency_key=idempotency_key,
        request=request,
    )
    return outcome.response


@dataclass(frozen=True)
class TrainingSpec:
    kind: DevelopmentKind
    title: str
    hours: Decimal
    completed_on: date


@dataclass(frozen=True)
class CertificationSpec:
    name: str
    issuer: str
    obtained_on: date
    expires_on: date | None


async def log_development(
    kit: ServiceKit,
    principal: Principal,
    spec: TrainingSpec | CertificationSpec,
    *,
    idempotency_key: str | None = None,
    request: Any = None,
) -> dict[str, Any]:
    """R-A6, R-B5: one entry in the employee's own development log."""
    employee_id = _own_employee_id(principal, "a development log entry")
    now = kit.clock.now()

    async def handler(uow: UnitOfWork) -> dict[str, Any]:
        entry = await require_entry(uow.conn, employee_id)
        today = _local_today(entry.timezone, now)
        stream = development.development_stream(employee_id)
        state = await _fold(uow, stream, development.evolve, development.DevelopmentLog())
        if isinstance(spec, TrainingSpec):
            recorded = development.log_training(
                development.LogTraining(
                    employee_id=employee_id,
                    kind=spec.kind,
                    title=spec.title,
                    hours=spec.hours,
                    completed_on=spec.completed_on,
                    logged_at=now,
                    today=today,
                ),
                state,
            )
        else:
            recorded = development.log_certification(
                development.LogCertification(
                    employee_id=employee_id,
                    name=spec.name,
                    issuer=spec.issuer,
                    obtained_on=spec.obtained_on,
                    expires_on=spec.expires_on,
                    logged_at=now,
                    today=today,
                ),
                state,
            )
        [event] = await _record(uow, stream, recorded)
        return _answer([event])[0]

    command = "LogTraining" if isinstance(spec, TrainingSpec) else "LogCertification"
    outcome = await kit.execute(
        command, handler, principal=principal, idempotency_key=idempotency_key, request=request
    )
    return outcome.response
