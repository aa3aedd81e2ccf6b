"""The whole system end to end: the four services as separate OS processes (started by the CLI's
`LocalSystem`, as `daybook demo` starts them) on the run's NATS and PostgreSQL, a scripted
fortnight played through their HTTP APIs by `daybook_cli.simulation`, the period closed.

The scripted team (policy 2026.1, hand-computed outcomes in test_fortnight.py):
- E01, a model salesperson: everything on time, target met, top ratings;
- E02, a chronic late-comer: four unexcused late arrivals (one asked for only after the start),
  two late daily reports;
- E03, a gift acceptor: a CNY 600 voucher accepted (a major breach), one rating of 4;
- E04, a sloppy one: three daily reports missed, one late, a progress report missed, half the
  inquiries and complaints late, half the target, thin records and little training.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from daybook_cli.client import Caller, Daybook, Tokens
from daybook_cli.demo import timers_off
from daybook_cli.outcomes import Outcome, close_period, collect_outcomes
from daybook_cli.simulation import (
    Calendar,
    Gift,
    Moment,
    Plan,
    Profile,
    organisation_of,
    plan_span,
    settle,
    simulate,
)
from daybook_cli.system import LocalSystem
from daybook_shared.infra import Infra
from daybook_shared.runtime.clock import FileClock

STARTS_ON = date(2026, 9, 7)  # a Monday: two ISO weeks, ten working days
ENDS_ON = date(2026, 9, 20)
PERIOD_ID = "e2e-2026-09a"
SEED = 11
GOAL = Decimal("50000")

MODEL = Profile(
    name="model",
    attainment=Decimal("1.00"),
    deals_won=2,
    deals_lost=0,
    ratings=(5, 5),
    inquiries=2,
    complaints=1,
    training_hours=Decimal("16"),
    market_reports=0,
    customers=2,
)
TEAM = [
    ("E01", "Lin Wang", MODEL),
    (
        "E02",
        "Tao Chen",
        replace(
            MODEL,
            name="chronic late-comer",
            late_unexcused=3,
            late_asked_after_start=1,
            reports_late=2,
        ),
    ),
    (
        "E03",
        "Mei Zhou",
        replace(
            MODEL,
            name="gift acceptor",
            ratings=(5, 4),
            gifts=(Gift("voucher", Decimal("600"), accepted=True),),
        ),
    ),
    (
        "E04",
        "Gang Xu",
        Profile(
            name="sloppy",
            reports_missed=3,
            reports_late=1,
            progress_missed=1,
            attainment=Decimal("0.50"),
            deals_won=1,
            deals_lost=1,
            ratings=(3, 4, 2),
            inquiries=4,
            inquiries_late=2,
            complaints=2,
            complaints_late=1,
            training_hours=Decimal("4"),
            market_reports=0,
            customers=2,
            profile_fields=7,
        ),
    ),
]


def fortnight_plan() -> Plan:
    organisation = organisation_of(
        {"T1": ("Hui Sun", TEAM)}, hired_on=date(2025, 9, 1), goal_amount=GOAL
    )
    calendar = Calendar(STARTS_ON, ENDS_ON, organisation.timezone)
    return plan_span(organisation, calendar, seed=SEED, period_id=PERIOD_ID)


@dataclass
class Run:
    """A finished run: the plan, the closed period and every salesperson's final outcome."""

    plan: Plan
    closed: dict
    outcomes: dict[str, Outcome]
    system: LocalSystem


RunFactory = Callable[..., Awaitable[Run]]


@pytest.fixture(scope="module")
async def run_fortnight(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunFactory]:
    """Play the fortnight on a fresh system; `disturb(system, moment)` runs after each moment."""
    systems: list[LocalSystem] = []

    async def run(
        disturb: Callable[[LocalSystem, Moment], Awaitable[None]] | None = None,
        extra_env: dict[str, dict[str, str]] | None = None,
    ) -> Run:
        plan = fortnight_plan()
        workdir: Path = tmp_path_factory.mktemp("fortnight")
        clock_file = workdir / "clock"
        FileClock(str(clock_file)).set(plan.moments[0].at)
        environment = timers_off(STARTS_ON)
        for service, settings in (extra_env or {}).items():
            environment[service] = {**environment[service], **settings}
        system = LocalSystem(
            infra, workdir / "logs", clock_file=clock_file, service_env=environment
        )
        systems.append(system)
        await system.start()
        async with Daybook(system.urls, Tokens()) as daybook:

            async def after(moment: Moment) -> None:
                if disturb is not None:
                    await disturb(system, moment)

            await simulate(system, plan, daybook, on_moment_done=after)
            await settle(system)
            hr = Caller.hr(plan.organisation.hr.employee_id)
            closed = await close_period(daybook, hr, PERIOD_ID)
            outcomes = await collect_outcomes(daybook, plan.organisation, PERIOD_ID)
        return Run(plan, closed, {o.employee_id: o for o in outcomes}, system)

    yield run
    for system in systems:
        await system.stop()


@pytest.fixture(scope="module")
async def undisturbed(run_fortnight: RunFactory) -> Run:
    """The fortnight played once, without interruptions (shared by the module's tests)."""
    return await run_fortnight()
