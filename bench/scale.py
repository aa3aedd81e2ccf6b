"""Scenario 8: organisations of growing size over a month of simulated work, per service.

For each size, a fresh stack (databases, subject namespace, shared clock at the month's end) and
the four services as processes:

1. setup (not timed): the roster on the HR stream, everyone's work schedule over HTTP;
2. attendance ingests the punches of the month's first UPLOAD_DAYS days through its bulk device
   endpoint (gates uploading up to 2,000 punches at a time, four at once): punches per second;
   its relay publishes what it derives (clock-ins and -outs, late arrivals);
3. crm imports the organisation's customers through its bulk CSV endpoint: customers per second;
4. the rest of the month goes straight onto the streams (shared contracts, `Nats-Msg-Id` =
   event id) as the services would have published it: attendance's facts of the other days,
   and every day's reporting and crm facts (not timed). Uploading all 22 days of a 10,000-person
   organisation through attendance would take a quarter of an hour here and say nothing more
   about attendance than two days do;
5. reporting, then appraisal, start on the full streams and catch up from sequence 1 (one at a
   time, so each has the machine): events per second while it had a backlog, from its durable
   consumers' acknowledgements, sampled every 20 ms (the steady stretch between 10% and 90%).

Memory is each process's peak resident set (VmHWM) and its RSS sampled every 0.2 s. Sweeps and
the day close are switched off for the run (they are periodic jobs with their own cost, not part
of ingesting or projecting), so what is measured is the event path alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
import httpx
import month
import nats
import organisation
from http_scenarios import Stack
from measure import steady_rate, wait_for
from nats.js.errors import NotFoundError
from organisation import DEVICE, FIRST_MONDAY, HR, local, workdays
from report import row
from service_processes import ServiceProcess, caught_up, consumed, durables_of, running

from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra

UPLOAD_DAYS = 2
UPLOAD_PUNCHES = 2000
UPLOADS_IN_FLIGHT = 4
IMPORT_ROWS = 5000
QUIET = {
    "attendance": {"DAYBOOK_DAY_CLOSE_INTERVAL_S": "86400"},
    "reporting": {"DAYBOOK_RUN_SWEEPS": "false"},
    "crm": {"DAYBOOK_RUN_SCHEDULER": "false"},
    "appraisal": {},
}


@dataclass
class Point:
    """One service at one organisation size."""

    service: str
    employees: int
    work: str
    events: int
    seconds: float
    peak_rss_mb: float
    rss_samples: list[float] = field(default_factory=list)
    steady_events_per_s: float | None = None

    @property
    def events_per_s(self) -> float:
        """The steady rate where one was measured (consumers), else events over seconds."""
        return self.steady_events_per_s or self.events / self.seconds

    def as_json(self) -> dict:
        return {
            "service": self.service,
            "employees": self.employees,
            "work": self.work,
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "events_per_s": round(self.events_per_s, 1),
            "whole_window_events_per_s": round(self.events / self.seconds, 1),
            "steady": self.steady_events_per_s is not None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "median_rss_mb": round(sorted(self.rss_samples)[len(self.rss_samples) // 2], 1)
            if self.rss_samples
            else None,
        }


async def _sample_memory(processes: Sequence[ServiceProcess]) -> None:
    while True:
        for process in processes:
            with contextlib.suppress(OSError, RuntimeError):
                process.sample_rss()
        await asyncio.sleep(0.2)


async def organisation_month(infra: Infra, employees: int, days: int) -> list[Point]:
    stack = Stack.fresh(infra, f"scale{employees}")
    dates = workdays(FIRST_MONDAY, days)
    stack.clock.set(local(FIRST_MONDAY, 8))  # schedules are assigned before they start
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    people = organisation.roster(employees)
    ids = [p.employee_id for p in people]
    try:
        writers = {name: await stack.service(name, **QUIET[name]) for name in ("attendance", "crm")}
        async with (
            httpx.AsyncClient(timeout=600.0) as client,
            running(client, list(writers.values())),
        ):
            sampler = asyncio.create_task(_sample_memory(list(writers.values())))
            try:
                await organisation.hire(js, stack.namespace, people)
                for name in writers:
                    await caught_up(js, stack.namespace, name, within=300)
                await organisation.assign_schedules(
                    client, writers["attendance"].url, ids, FIRST_MONDAY
                )
                stack.clock.set(local(dates[-1] + timedelta(days=1), 12))  # the month is over
                attendance_work = await _upload_punches(
                    client,
                    writers["attendance"],
                    month.punches(people, dates[:UPLOAD_DAYS], seed=employees),
                )
                crm_work = await _import_customers(
                    client, writers["crm"], month.customer_csv(people, IMPORT_ROWS)
                )
                await _relayed(js, stack, "attendance")
                for context in ("reporting", "crm"):
                    await _declared(js, stack.namespace, context)
                before = await _stream_counts(js, stack.namespace)
                generated = await _publish_facts(
                    nc,
                    month.facts(
                        stack.namespace,
                        people,
                        dates,
                        seed=employees,
                        attendance_days=dates[UPLOAD_DAYS:],
                    ),
                )
                await _stored(js, stack.namespace, before, generated)
                projected = []
                for name in ("reporting", "appraisal"):  # one at a time: each has the machine
                    consumer = await stack.service(name, **QUIET[name])
                    projected.append(await _catch_up(js, stack.namespace, consumer, employees))
            finally:
                sampler.cancel()
            points = [
                _point(writers["attendance"], employees, "punches ingested", *attendance_work),
                _point(writers["crm"], employees, "customers imported", *crm_work),
                *projected,
            ]
    finally:
        await stack.close(js)
        await nc.close()
    return points


def _point(
    process: ServiceProcess,
    employees: int,
    work: str,
    events: int,
    seconds: float,
    steady: float | None = None,
) -> Point:
    return Point(
        service=process.name,
        employees=employees,
        work=work,
        events=events,
        seconds=seconds,
        peak_rss_mb=process.peak_rss_mb(),
        rss_samples=list(process.rss_samples),
        steady_events_per_s=steady,
    )


async def _upload_punches(
    client: httpx.AsyncClient, attendance: ServiceProcess, days: list[list[month.Punch]]
) -> tuple[int, float]:
    """Each day's punches in uploads of UPLOAD_PUNCHES, UPLOADS_IN_FLIGHT at a time."""
    bodies = []
    for number, today in enumerate(days):
        for start in range(0, len(today), UPLOAD_PUNCHES):
            lines = [
                json.dumps(
                    {"employee_id": p.employee_id, "kind": p.kind, "device_time": p.device_time}
                )
                for p in today[start : start + UPLOAD_PUNCHES]
            ]
            bodies.append((f"GATE-{number}-{start // UPLOAD_PUNCHES}", "\n".join(lines)))
    queue = iter(bodies)

    async def gate() -> None:
        for device, body in queue:
            response = await client.post(
                f"{attendance.url}/devices/{device}/punches",
                content=body,
                headers={**DEVICE, "Content-Type": "application/x-ndjson"},
            )
            if response.status_code != 200:
                raise RuntimeError(f"upload {device}: {response.status_code} {response.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(gate() for _ in range(UPLOADS_IN_FLIGHT)))
    return sum(len(today) for today in days), time.perf_counter() - started


async def _import_customers(
    client: httpx.AsyncClient, crm: ServiceProcess, files: list[str]
) -> tuple[int, float]:
    started = time.perf_counter()
    imported = 0
    for text in files:
        response = await client.post(
            f"{crm.url}/integration/customers/import",
            content=text,
            headers={**HR, "Content-Type": "text/csv"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"customer import: {response.status_code} {response.text[:300]}")
        imported += text.count("\n") - 1
    return imported, time.perf_counter() - started


async def _relayed(js, stack: Stack, service: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the service's relay has published every event it stored."""
    connection = await asyncpg.connect(stack.database_urls[service])
    try:
        stored = await connection.fetchval(f"SELECT count(*) FROM {service}.events")
    finally:
        await connection.close()

    async def published() -> bool:
        info = await js.stream_info(stack.namespace.stream_name(service))
        return info.state.messages >= stored

    await wait_for(published, what=f"{service}'s relay to publish {stored} events", within=600)


async def _declared(js, namespace: Namespace, context: str) -> None:  # type: ignore[no-untyped-def]
    """The context's stream, as its owner declares it (reporting is not running yet)."""
    config = namespace.stream_config(context)
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)


async def _publish_facts(nc, messages) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Core publishes with `Nats-Msg-Id` (the streams store what their subjects receive), flushed
    in slices; returns how many went to each context."""
    sent: dict[str, int] = {}
    for count, (subject, body, event_id) in enumerate(messages, start=1):
        await nc.publish(subject, body, headers={"Nats-Msg-Id": event_id})
        context = subject.split(".")[1]
        sent[context] = sent.get(context, 0) + 1
        if count % 5000 == 0:
            await nc.flush()
    await nc.flush()
    return sent


async def _stream_counts(js, namespace: Namespace) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for context in ("hr", "attendance", "reporting", "crm"):
        counts[context] = (await js.stream_info(namespace.stream_name(context))).state.messages
    return counts


async def _stored(js, namespace: Namespace, before: dict[str, int], sent: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    async def all_there() -> bool:
        now = await _stream_counts(js, namespace)
        return all(now[context] >= before[context] + count for context, count in sent.items())

    await wait_for(all_there, what="the generated facts to be stored", within=600)


CONSUMES = {
    "reporting": ("hr", "attendance"),
    "appraisal": ("hr", "attendance", "reporting", "crm"),
}


async def _catch_up(
    js,  # type: ignore[no-untyped-def]
    namespace: Namespace,
    consumer: ServiceProcess,
    employees: int,
) -> Point:
    """A consumer started on full streams: its events over the seconds it had a backlog.

    Sampled from the moment it is spawned (a small backlog is gone before /readyz answers). The
    work began between the last sample with nothing acknowledged and the first with some; it
    ended at the first sample with every stream it reads acknowledged to the end."""
    wanted = {namespace.stream_name(context) for context in CONSUMES[consumer.name]}
    samples: list[tuple[float, int]] = []
    durables: list[tuple[str, str]] = []
    sampler = asyncio.create_task(_sample_memory([consumer]))
    try:
        deadline = time.monotonic() + 1800
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{consumer.name} did not catch up; see {consumer.log_path}")
            if consumer.process.poll() is not None:
                raise RuntimeError(f"{consumer.name} exited; see {consumer.log_path}")
            if not wanted <= {stream for stream, _ in durables}:
                durables = await durables_of(js, namespace, consumer.name)
            acknowledged, idle = await consumed(js, durables)
            samples.append((time.perf_counter(), acknowledged))
            if idle and acknowledged > 0 and wanted <= {stream for stream, _ in durables}:
                break
            await asyncio.sleep(0.02)
        first = next(i for i, (_, acked) in enumerate(samples) if acked > 0)
        began = samples[max(0, first - 1)][0]
        ended, total = samples[-1]
        return _point(
            consumer,
            employees,
            "events projected",
            total,
            ended - began,
            steady_rate(samples[max(0, first - 1) :]),
        )
    finally:
        sampler.cancel()
        consumer.stop()


def rows(points: Sequence[Point]) -> list[dict]:
    """Per service and size: throughput and peak memory against the smallest organisation's.

    A ratio near 1 for throughput means the cost per event does not grow with the organisation
    (total cost grows linearly); a ratio near 1 for memory means memory stays bounded."""
    results = []
    services = sorted({p.service for p in points})
    for service in services:
        mine = sorted((p for p in points if p.service == service), key=lambda p: p.employees)
        smallest = mine[0]
        for point in mine:
            common = {
                "employees": point.employees,
                "events": point.events,
                "seconds": round(point.seconds, 2),
                "work": point.work,
            }
            results.append(
                row(
                    f"scale {service}, {point.employees:,} employees: throughput",
                    point.events_per_s,
                    smallest.events_per_s,
                    "events/s",
                    against=f"same service, {smallest.employees:,} employees",
                    **common,
                )
            )
            results.append(
                row(
                    f"scale {service}, {point.employees:,} employees: peak memory",
                    point.peak_rss_mb,
                    smallest.peak_rss_mb,
                    "MB",
                    against=f"same service, {smallest.employees:,} employees",
                    better="lower",
                    **common,
                )
            )
    return results
