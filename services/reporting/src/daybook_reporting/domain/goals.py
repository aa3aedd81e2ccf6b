"""Company and team targets, the personal goals derived from them, and progress on goals.

R-A3: each person's goals come from the company's targets; progress is reported weekly or monthly
with the plan for the next period. R-B2.4: work progress and sales status go to the superiors.

A target's stream holds the target and every goal derived from it, so that whether the goals cover
the target is decided on one consistent state. Each goal's progress lives in the goal's own stream.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from daybook_reporting.domain.calendar import DeadlinePolicy, EmployeeCalendar
from daybook_reporting.domain.facts import Recorded, build
from daybook_shared.contracts import Money
from daybook_shared.contracts.reporting import (
    Cadence,
    CompanyTargetSet,
    GoalProgressReported,
    GoalProgressReportMissed,
    GoalSet,
)
from daybook_shared.errors import Conflict, Forbidden, InvalidCommand, NotFound
from daybook_shared.kit.ids import derived_id

Period = tuple[date, date]


def target_stream(target_id: UUID) -> str:
    return f"target:{target_id}"


def goal_stream(goal_id: UUID) -> str:
    return f"goal:{goal_id}"


def goal_id_for(target_id: UUID, employee_id: str) -> UUID:
    """One goal per employee and target; setting it again revises the same goal."""
    return derived_id("goal", target_id, employee_id)


def missed_progress_event_id(goal_id: UUID, period_start: date) -> UUID:
    return derived_id("GoalProgressReportMissed", goal_id, period_start.isoformat())


@dataclass(frozen=True)
class SetCompanyTarget:
    """R-A3: a company-wide target (`team_id` None) or a team's target for a period."""

    target_id: UUID
    team_id: str | None
    metric: str
    amount: Money | None
    count: int | None
    period_start: date
    period_end: date
    set_at: datetime


@dataclass(frozen=True)
class SetGoal:
    """R-A3: an employee's personal goal derived from a target, or a revision of it.

    `employee_team_id` is the employee's team on the roster; `today` is the day in their timezone.
    """

    target_id: UUID
    employee_id: str
    employee_team_id: str
    amount: Money | None
    count: int | None
    cadence: Cadence
    set_at: datetime
    today: date


@dataclass(frozen=True)
class Target:
    target: CompanyTargetSet | None = None
    goals: dict[str, GoalSet] = field(default_factory=dict)


@dataclass(frozen=True)
class Coverage:
    """Whether the goals derived from a target add up to it (R-A3)."""

    target_value: Decimal
    allocated: Decimal
    shortfall: Decimal
    covered: bool
    goal_count: int


def evolve_target(state: Target, payload: object) -> Target:
    if isinstance(payload, CompanyTargetSet):
        return replace(state, target=payload)
    if isinstance(payload, GoalSet):
        return replace(state, goals={**state.goals, payload.employee_id: payload})
    return state


def set_target(command: SetCompanyTarget, state: Target) -> list[Recorded]:
    if state.target is not None:
        raise Conflict(f"target {command.target_id} is already set", field="target_id")
    payload = build(
        CompanyTargetSet,
        target_id=command.target_id,
        team_id=command.team_id,
        metric=command.metric,
        amount=command.amount,
        count=command.count,
        period_start=command.period_start,
        period_end=command.period_end,
    )
    return [Recorded(payload, command.set_at)]


def set_goal(command: SetGoal, state: Target) -> list[Recorded]:
    """R-A3: derive a goal from the target: same metric, period and currency; team members only.

    A goal can be set or changed only until its period ends, so it cannot be lowered after the
    results are known. Setting the same value and cadence again records nothing.
    """
    target = state.target
    if target is None:
        raise NotFound(f"unknown target {command.target_id}", field="target_id")
    if target.team_id is not None and command.employee_team_id != target.team_id:
        raise InvalidCommand(
            f"{command.employee_id} is in team {command.employee_team_id}, not in team "
            f"{target.team_id} whose target this is",
            field="employee_id",
        )
    if command.today > target.period_end:
        raise Conflict(
            f"target {target.target_id} ended on {target.period_end.isoformat()}; "
            "its goals can no longer be set or changed",
            field="target_id",
        )
    if (
        target.amount is not None
        and command.amount is not None
        and command.amount.currency != target.amount.currency
    ):
        raise InvalidCommand(
            f"amount.currency must be the target's currency {target.amount.currency}",
            field="amount.currency",
        )
    previous = state.goals.get(command.employee_id)
    payload = build(
        GoalSet,
        goal_id=goal_id_for(target.target_id, command.employee_id),
        target_id=target.target_id,
        employee_id=command.employee_id,
        team_id=target.team_id,
        metric=target.metric,
        amount=command.amount,
        count=command.count,
        period_start=target.period_start,
        period_end=target.period_end,
        cadence=command.cadence,
        revision=previous.revision + 1 if previous else 1,
    )
    if previous is not None and _same_goal(previous, payload):
        return []
    return [Recorded(payload, command.set_at)]


def _same_goal(a: GoalSet, b: GoalSet) -> bool:
    return (a.amount, a.count, a.cadence) == (b.amount, b.count, b.cadence)


def coverage(state: Target) -> Coverage:
    """R-A3: the goals' sum against the target; a shortfall means the team's goals do not cover it."""
    if state.target is None:
        raise NotFound("unknown target", field="target_id")
    target_value = state.target.value()
    allocated = sum((goal.value() for goal in state.goals.values()), Decimal(0))
    shortfall = max(target_value - allocated, Decimal(0))
    return Coverage(
        target_value=target_value,
        allocated=allocated,
        shortfall=shortfall,
        covered=shortfall == 0,
        goal_count=len(state.goals),
    )


def progress_periods(goal: GoalSet) -> list[Period]:
    """R-A3: the goal's reporting periods: ISO weeks or calendar months, clipped to its period."""
    periods: list[Period] = []
    start = goal.period_start
    while start <= goal.period_end:
        if goal.cadence == "weekly":
            natural_end = start + timedelta(days=7 - start.isoweekday())
        else:
            natural_end = start.replace(day=gregorian.monthrange(start.year, start.month)[1])
        end = min(natural_end, goal.period_end)
        periods.append((start, end))
        start = end + timedelta(days=1)
    return periods


def period_starting(goal: GoalSet, period_start: date) -> Period | None:
    return next((p for p in progress_periods(goal) if p[0] == period_start), None)


@dataclass(frozen=True)
class ReportGoalProgress:
    """R-A3, R-B2.4: the achieved value for one period of a goal, a narrative, the next plan."""

    goal_id: UUID
    goal: GoalSet | None
    reporter_id: str
    period_start: date
    amount: Money | None
    count: int | None
    narrative: str
    next_period_plan: str
    submitted_at: datetime
    calendar: EmployeeCalendar
    policy: DeadlinePolicy


@dataclass(frozen=True)
class RecordMissedProgressReport:
    """Record, once its deadline has passed, that a goal period's progress report was not in."""

    goal: GoalSet
    period_start: date
    now: datetime
    calendar: EmployeeCalendar
    policy: DeadlinePolicy


@dataclass(frozen=True)
class GoalProgress:
    reports: dict[date, GoalProgressReported] = field(default_factory=dict)
    missed: dict[date, GoalProgressReportMissed] = field(default_factory=dict)


def evolve_progress(state: GoalProgress, payload: object) -> GoalProgress:
    if isinstance(payload, GoalProgressReported):
        return replace(state, reports={**state.reports, payload.period_start: payload})
    if isinstance(payload, GoalProgressReportMissed):
        return replace(state, missed={**state.missed, payload.period_start: payload})
    return state


def progress_deadline(
    period: Period, calendar: EmployeeCalendar, policy: DeadlinePolicy
) -> datetime:
    """A period's report is due like a day's report, counted from the period's last day."""
    return policy.deadline(calendar, period[1])


def report_progress(command: ReportGoalProgress, state: GoalProgress) -> list[Recorded]:
    goal = command.goal
    if goal is None:
        raise NotFound(f"unknown goal {command.goal_id}", field="goal_id")
    if goal.employee_id != command.reporter_id:
        raise Forbidden(
            f"goal {goal.goal_id} belongs to {goal.employee_id}; only they report progress on it",
            field="goal_id",
        )
    period = period_starting(goal, command.period_start)
    if period is None:
        starts = ", ".join(p[0].isoformat() for p in progress_periods(goal)[:3])
        raise InvalidCommand(
            f"period_start {command.period_start.isoformat()} does not start a {goal.cadence} "
            f"period of goal {goal.goal_id} (periods start on {starts}, ...)",
            field="period_start",
        )
    today = command.calendar.local_date(command.submitted_at)
    if today < period[0]:
        raise InvalidCommand(
            f"the period starting {period[0].isoformat()} has not begun yet",
            field="period_start",
        )
    if period[0] in state.reports:
        raise Conflict(
            f"progress for the {goal.cadence} period starting {period[0].isoformat()} of goal "
            f"{goal.goal_id} is already reported",
            field="period_start",
        )
    if (
        goal.amount is not None
        and command.amount is not None
        and command.amount.currency != goal.amount.currency
    ):
        raise InvalidCommand(
            f"amount.currency must be the goal's currency {goal.amount.currency}",
            field="amount.currency",
        )
    missed = state.missed.get(period[0])
    deadline = (
        missed.deadline if missed else progress_deadline(period, command.calendar, command.policy)
    )
    payload = build(
        GoalProgressReported,
        goal_id=goal.goal_id,
        target_id=goal.target_id,
        employee_id=goal.employee_id,
        metric=goal.metric,
        amount=command.amount,
        count=command.count,
        cadence=goal.cadence,
        period_start=period[0],
        period_end=period[1],
        narrative=command.narrative,
        next_period_plan=command.next_period_plan,
        submitted_at=command.submitted_at,
        deadline=deadline,
        on_time=command.submitted_at <= deadline,
    )
    return [Recorded(payload, command.submitted_at)]


def record_missed_progress(
    command: RecordMissedProgressReport, state: GoalProgress
) -> list[Recorded]:
    """R-A3, R-B2.4: no report by a period's deadline becomes one `GoalProgressReportMissed`.

    Nothing is due for a period that ends after the employee has left.
    """
    goal = command.goal
    period = period_starting(goal, command.period_start)
    if period is None or period[0] in state.missed:
        return []
    employed_until = command.calendar.employed_until
    if employed_until is not None and employed_until <= period[1]:
        return []
    deadline = progress_deadline(period, command.calendar, command.policy)
    if command.now < deadline:
        return []
    report = state.reports.get(period[0])
    if report is not None and report.submitted_at <= deadline:
        return []
    payload = build(
        GoalProgressReportMissed,
        goal_id=goal.goal_id,
        target_id=goal.target_id,
        employee_id=goal.employee_id,
        cadence=goal.cadence,
        period_start=period[0],
        period_end=period[1],
        deadline=deadline,
    )
    return [Recorded(payload, deadline, missed_progress_event_id(goal.goal_id, period[0]))]
