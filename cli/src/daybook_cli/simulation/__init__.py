"""A seeded, reproducible simulation of a sales organisation's days, through the services' public
HTTP APIs only (and the HR boundary for the roster).

    organisation = sample_organisation(teams=1, team_size=4, hired_on=...)
    plan = plan_span(organisation, Calendar(start, end, organisation.timezone), seed=7,
                     period_id="2026-09")
    await simulate(system, plan)            # a started LocalSystem with a clock file

`plan_span` decides everything up front (pure); `simulate` plays it moment by moment on the shared
simulated clock and waits, where it matters, until every event has reached every consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import nats

from daybook_cli.client import Daybook
from daybook_cli.settle import wait_until_settled
from daybook_cli.simulation.organisation import (
    CAST,
    Gift,
    Organisation,
    Person,
    Profile,
    Team,
    organisation_of,
    sample_organisation,
)
from daybook_cli.simulation.plan import Calendar, Expected, Moment, Plan, SpanError, plan_span
from daybook_cli.simulation.runner import Progress, Simulator
from daybook_cli.system import LocalSystem
from daybook_shared.contracts.hr import HrEvent
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.clock import FileClock

__all__ = [
    "CAST",
    "Calendar",
    "Expected",
    "Gift",
    "Moment",
    "Organisation",
    "Person",
    "Plan",
    "Profile",
    "SpanError",
    "Team",
    "organisation_of",
    "plan_span",
    "sample_organisation",
    "settle",
    "simulate",
]


async def settle(system: LocalSystem) -> None:
    """Wait until every event of the run has been published and consumed everywhere."""
    await wait_until_settled(system.infra.nats_url, system.namespace, system.urls)


async def simulate(
    system: LocalSystem,
    plan: Plan,
    daybook: Daybook,
    *,
    on_progress: Progress | None = None,
    on_moment_done: Callable[[Moment], Awaitable[None]] | None = None,
) -> None:
    """Play `plan` against the running `system` (started with a clock file), then wait until the
    appraisal has seen every event."""
    if system.clock_file is None:
        raise ValueError("the simulation needs a system started with a clock file")

    async def publish_roster(facts: Sequence[HrEvent], recorded_at: datetime) -> int:
        client = await nats.connect(system.infra.nats_url, name="daybook-hr-import")
        try:
            return await publish_hr_events(
                client.jetstream(), system.namespace, facts, recorded_at=recorded_at
            )
        finally:
            await client.close()

    simulator = Simulator(
        daybook=daybook,
        clock=FileClock(str(system.clock_file)),
        settle=lambda: settle(system),
        publish_roster=publish_roster,
        on_moment_done=on_moment_done,
    )
    if on_progress is not None:
        simulator.on_progress = on_progress
    await simulator.run(plan)
    await settle(system)
