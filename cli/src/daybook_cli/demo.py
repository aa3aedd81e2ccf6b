"""`daybook demo` (and `make demo`): the whole product on one machine, a simulated month, the
period closed, the outcomes printed and written to `build/demo/summary.json`.

The services' own timers (day close, sweeps, period close) run on wall-clock intervals, which mean
nothing on a simulated clock; in the demo they are slowed to once a day and the simulation runs
the same scheduled work through the services' HTTP endpoints at the simulated moments instead, so
that a run is reproducible to the event.
"""

from __future__ import annotations

import asyncio
import calendar as gregorian
import contextlib
import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from daybook_cli.client import Caller, Daybook, Tokens
from daybook_cli.errors import CliError
from daybook_cli.outcomes import (
    Outcome,
    close_period,
    collect_outcomes,
    outcome_table,
    summary_document,
)
from daybook_cli.simulation import (
    Calendar,
    Moment,
    Plan,
    plan_span,
    sample_organisation,
    settle,
    simulate,
)
from daybook_cli.system import LocalSystem
from daybook_shared.infra import Mode, find_or_start
from daybook_shared.runtime.clock import FileClock

DEFAULT_MONTH = "2026-09"
# Public holidays the demo declares, when they fall in the simulated month.
HOLIDAYS = {date(2026, 9, 25): "Mid-Autumn Festival", date(2026, 10, 1): "National Day"}


def timers_off(starts_on: date) -> dict[str, dict[str, str]]:
    """The settings that hand the services' scheduled work to the simulation (see above)."""
    once_a_day = str(24 * 3600)
    return {
        "attendance": {"DAYBOOK_RUN_SCHEDULER": "false"},
        "reporting": {
            "DAYBOOK_RUN_SWEEPS": "false",
            "DAYBOOK_REPORTS_REQUIRED_FROM": starts_on.isoformat(),
        },
        "crm": {"DAYBOOK_RUN_SCHEDULER": "false"},
        "appraisal": {"DAYBOOK_CLOSE_INTERVAL_S": once_a_day},
    }


def month_span(month: str) -> tuple[date, date]:
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise CliError(
            f"The month must be written YYYY-MM (for example 2026-09), not {month!r}."
        ) from None
    last = first.replace(day=gregorian.monthrange(year, number)[1])
    if last >= date.today():
        raise CliError(f"The demo simulates a past month; {month} has not ended yet.")
    return first, last


@dataclass(frozen=True)
class DemoResult:
    plan: Plan
    outcomes: list[Outcome]
    summary: dict[str, Any]
    summary_path: Path
    seconds: float


def demo_plan(month: str, *, seed: int, teams: int, team_size: int) -> Plan:
    starts_on, ends_on = month_span(month)
    organisation = sample_organisation(
        teams=teams, team_size=team_size, seed=seed, hired_on=starts_on - timedelta(days=365)
    )
    holidays = {day: name for day, name in HOLIDAYS.items() if starts_on <= day <= ends_on}
    span = Calendar(starts_on, ends_on, organisation.timezone, holidays)
    try:
        return plan_span(organisation, span, seed=seed, period_id=month)
    except ValueError as exc:
        raise CliError(f"The simulation cannot be planned: {exc}.") from exc


def run_demo(
    *,
    month: str,
    seed: int,
    teams: int,
    team_size: int,
    out: Path,
    infra_mode: Mode,
    console: Console,
) -> DemoResult:
    """Plan, find or start the infrastructure, run the system, simulate, close, summarise."""
    began = time.monotonic()
    plan = demo_plan(month, seed=seed, teams=teams, team_size=team_size)
    organisation = plan.organisation
    console.print(
        f"[bold]Daybook demo[/]: {len(organisation.salespeople)} salespeople in "
        f"{len(organisation.teams)} teams, {month} simulated day by day (seed {seed})."
    )
    out.mkdir(parents=True, exist_ok=True)
    clock_file = out / "clock"
    FileClock(str(clock_file)).set(plan.moments[0].at)
    with contextlib.ExitStack() as stack:
        with console.status("Finding or starting NATS and PostgreSQL..."):
            infra = stack.enter_context(find_or_start(infra_mode))
        console.print(f"Infrastructure: {infra.how} (NATS {infra.nats_url}).")
        system = LocalSystem(
            infra,
            out / "logs",
            clock_file=clock_file,
            service_env=timers_off(plan.calendar.starts_on),
        )
        outcomes, closed = asyncio.run(_run(system, plan, console))
    summary = summary_document(
        period=_period_summary(closed), seed=seed, outcomes=outcomes, organisation=organisation
    )
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
    title = f"Appraisal {plan.period_id} (policy {closed.get('policy_version')})"
    console.print(outcome_table(outcomes, title))
    return DemoResult(plan, outcomes, summary, summary_path, time.monotonic() - began)


async def _run(
    system: LocalSystem, plan: Plan, console: Console
) -> tuple[list[Outcome], dict[str, Any]]:
    try:
        with console.status(f"Starting the four services (logs in {system.workdir})..."):
            await system.start()
        for name, url in system.urls.items():
            console.print(f"  {name:<10} {url}  (OpenAPI {url}/docs)")
        return await _simulate_and_close(system, plan, console)
    finally:
        with console.status("Stopping the services..."):
            await system.stop()


async def _simulate_and_close(
    system: LocalSystem, plan: Plan, console: Console
) -> tuple[list[Outcome], dict[str, Any]]:
    async with Daybook(system.urls, Tokens()) as daybook:
        with Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("actions"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Loading the roster", total=plan.action_count)

            def advance(moment: Moment, done: int) -> None:
                progress.update(task, advance=done, description=moment.label)

            await simulate(system, plan, daybook, on_progress=advance)
            progress.update(task, description="Every event consumed")
        with console.status("Closing the period..."):
            await settle(system)
            hr = Caller.hr(plan.organisation.hr.employee_id)
            closed = await close_period(daybook, hr, plan.period_id)
            outcomes = await collect_outcomes(daybook, plan.organisation, plan.period_id)
    return outcomes, closed


def _period_summary(closed: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "period_id",
        "starts_on",
        "ends_on",
        "timezone",
        "policy_version",
        "policy_sha256",
        "status",
        "appraised_count",
    )
    return {key: closed.get(key) for key in keys if key in closed}
