"""Scenarios 3 and 6: commands over HTTP into service processes.

3. Ingest: clock-ins per second into one attendance process (fresh database, roster from the HR
   stream, schedules over HTTP), every employee clocking in once a day at 09:30 for a few days,
   `concurrency` requests in flight; against the bare endpoint of the same framework and server,
   same client (`load_client`: keep-alive connections, a few tens of microseconds per request),
   same concurrency. Server and client CPU per request are recorded with the row.
6. End-to-end latency: at a fixed offered rate, a clock-in that makes a late arrival, until the
   appraisal scorecard lists that late arrival (attendance and appraisal as processes; the
   scorecard is polled). The baseline is the transport floor of the same path with no work at
   all: a bare POST, a JetStream publish received by a subscriber, and a bare GET.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
import organisation
from load_client import drive
from measure import cpu_seconds, percentile
from nats.aio.msg import Msg
from organisation import FIRST_MONDAY, HR, SharedClock, as_employee, local, workdays
from report import row
from service_processes import (
    ServiceProcess,
    caught_up,
    running,
    start_bare_endpoint,
    start_service,
)

from daybook_shared.contracts import Namespace
from daybook_shared.infra import Infra, create_database, drop_database

CLOCKS = Path("build/bench/clocks")
PERIOD = {"period_id": "2026-03", "starts_on": "2026-03-01", "ends_on": "2026-03-31"}


@dataclass
class Stack:
    """Fresh databases, a fresh subject namespace and a shared clock for one scenario."""

    infra: Infra
    label: str
    namespace: Namespace
    clock: SharedClock
    databases: list[str] = field(default_factory=list)
    database_urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fresh(cls, infra: Infra, label: str) -> Stack:
        suffix = secrets.token_hex(4)
        return cls(
            infra=infra,
            label=label,
            namespace=Namespace(f"bench{suffix}"),
            clock=SharedClock(CLOCKS / f"{label}-{suffix}.txt"),
        )

    async def database(self, service: str) -> str:
        name = f"bench_{self.label}_{service}_{secrets.token_hex(3)}"
        self.databases.append(name)
        self.database_urls[service] = await create_database(self.infra.postgres_url, name)
        return self.database_urls[service]

    async def service(self, name: str, **settings: str) -> ServiceProcess:
        return start_service(
            name,
            database_url=await self.database(name),
            nats_url=self.infra.nats_url,
            namespace=self.namespace,
            label=self.label,
            settings={"DAYBOOK_CLOCK_FILE": str(self.clock.path.resolve()), **settings},
        )

    async def close(self, js) -> None:  # type: ignore[no-untyped-def]
        for context in ("hr", "attendance", "reporting", "crm", "appraisal"):
            with contextlib.suppress(Exception):
                await js.delete_stream(self.namespace.stream_name(context))
        for name in self.databases:
            await drop_database(self.infra.postgres_url, name)
        self.clock.path.unlink(missing_ok=True)


def http_client(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(limits=limits, timeout=60.0)


async def _expect(response: Awaitable[httpx.Response], status: int) -> httpx.Response:
    answer = await response
    if answer.status_code != status:
        raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text[:300]}")
    return answer


async def ingest(infra: Infra, *, employees: int, days: int, concurrency: int = 32) -> dict:
    stack = Stack.fresh(infra, "ingest")
    stack.clock.set(local(FIRST_MONDAY, 8))
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    try:
        attendance = await stack.service("attendance")
        bare = start_bare_endpoint(stack.label)
        async with (
            http_client(concurrency) as client,
            running(client, [attendance]),
            running(client, [bare], "/openapi.json"),
        ):
            people = organisation.roster(employees)
            ids = [p.employee_id for p in people]
            await organisation.hire(js, stack.namespace, people)
            await caught_up(js, stack.namespace, "attendance", within=120)
            await organisation.assign_schedules(client, attendance.url, ids, FIRST_MONDAY)
            headers = [as_employee(i) for i in ids]

            def clock_in(n: int) -> tuple[str, str, dict[str, str]]:
                return "POST", f"/employees/{ids[n]}/clock-in", headers[n]

            cpu_ms: dict[str, float] = {}

            async def per_second(server: ServiceProcess) -> float:
                seconds = 0.0
                server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
                for day in workdays(FIRST_MONDAY, days):
                    stack.clock.set(local(day, 9, 30))
                    started = time.perf_counter()
                    await drive(server.url, employees, concurrency, clock_in, expect=201)
                    seconds += time.perf_counter() - started
                requests = employees * days
                cpu_ms[f"{server.name}_cpu_ms_per_request"] = round(
                    (cpu_seconds(server.pid) - server_cpu) * 1000 / requests, 2
                )
                cpu_ms[f"client_cpu_ms_per_request_{server.name}"] = round(
                    (time.process_time() - client_cpu) * 1000 / requests, 2
                )
                return requests / seconds

            baseline = await per_second(bare)
            ours = await per_second(attendance)
    finally:
        await stack.close(js)
        await nc.close()
    return row(
        f"HTTP clock-in, {concurrency} in flight",
        ours,
        baseline,
        "commands/s",
        against="bare FastAPI endpoint, same uvicorn",
        requests=employees * days,
        employees=employees,
        days=days,
        concurrency=concurrency,
        **cpu_ms,
    )


def _shows_late_arrival(card: dict) -> bool:
    return any(
        event["event_type"] == "LateArrivalRecorded"
        for component in card.get("components", [])
        for event in component.get("events", [])
    )


async def _offered(
    count: int, per_second: float, one: Callable[[int], Awaitable[float]]
) -> list[float]:
    """Start `one(i)` at i / per_second seconds, whatever the earlier ones are doing."""
    started = time.perf_counter()

    async def at_its_time(i: int) -> float:
        await asyncio.sleep(max(0.0, started + i / per_second - time.perf_counter()))
        return await one(i)

    return list(await asyncio.gather(*(at_its_time(i) for i in range(count))))


async def end_to_end(
    infra: Infra, *, samples: int, per_second: float, poll_every: float = 0.01
) -> list[dict]:
    stack = Stack.fresh(infra, "e2e")
    stack.clock.set(local(FIRST_MONDAY, 8))
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    try:
        attendance = await stack.service("attendance")
        appraisal = await stack.service("appraisal")
        bare = start_bare_endpoint(stack.label)
        async with (
            http_client(64) as client,
            running(client, [attendance, appraisal]),
            running(client, [bare], "/openapi.json"),
        ):
            people = organisation.roster(samples)
            ids = [p.employee_id for p in people]
            await organisation.hire(js, stack.namespace, people)
            await caught_up(js, stack.namespace, "attendance", within=120)
            await caught_up(js, stack.namespace, "appraisal", within=120)
            await organisation.assign_schedules(client, attendance.url, ids, FIRST_MONDAY)
            await _expect(
                client.post(f"{appraisal.url}/appraisal/periods", json=PERIOD, headers=HR), 201
            )
            await caught_up(js, stack.namespace, "appraisal", within=120)
            stack.clock.set(local(FIRST_MONDAY, 9, 30))
            headers = [as_employee(i) for i in ids]

            async def late_arrival_seen(n: int) -> float:
                sent = time.perf_counter()
                answer = await _expect(
                    client.post(
                        f"{attendance.url}/employees/{ids[n]}/clock-in", headers=headers[n]
                    ),
                    201,
                )
                if "LateArrivalRecorded" not in answer.json()["events"]:
                    raise RuntimeError(f"no late arrival: {answer.text}")
                card_url = f"{appraisal.url}/appraisal/periods/2026-03/scorecards/{ids[n]}"
                while True:
                    card = await _expect(client.get(card_url, headers=HR), 200)
                    if _shows_late_arrival(card.json()):
                        return time.perf_counter() - sent
                    if time.perf_counter() - sent > 60:
                        raise TimeoutError(f"{ids[n]}'s late arrival never reached the scorecard")
                    await asyncio.sleep(poll_every)

            ours = await _offered(samples, per_second, late_arrival_seen)
            floor = await _transport_floor(client, js, stack.namespace, bare.url, ids, per_second)
    finally:
        await stack.close(js)
        await nc.close()
    parameters = {
        "samples": samples,
        "offered_per_s": per_second,
        "poll_every_ms": poll_every * 1000,
        "path": "POST clock-in (attendance) -> outbox -> JetStream -> appraisal projection -> GET scorecard",
    }
    return [
        row(
            f"end-to-end latency p{label}",
            percentile(ours, fraction) * 1000,
            percentile(floor, fraction) * 1000,
            "ms",
            against="bare POST + JetStream hop + bare GET",
            better="lower",
            **parameters,
        )
        for label, fraction in (("50", 0.5), ("95", 0.95), ("99", 0.99))
    ]


async def _transport_floor(
    client: httpx.AsyncClient,
    js,  # type: ignore[no-untyped-def]
    namespace: Namespace,
    bare_url: str,
    ids: Sequence[str],
    per_second: float,
) -> list[float]:
    """The same three hops with nothing done at any of them."""
    floor = Namespace(namespace.prefix + "floor")
    await js.add_stream(floor.stream_config("attendance"))
    arrived: dict[str, asyncio.Event] = {employee: asyncio.Event() for employee in ids}

    async def received(msg: Msg) -> None:
        arrived[msg.subject.rsplit(".", 1)[1]].set()

    subscription = await js.subscribe(
        floor.filter("attendance"), cb=received, ordered_consumer=True
    )

    async def one(n: int) -> float:
        sent = time.perf_counter()
        await _expect(client.post(f"{bare_url}/employees/{ids[n]}/clock-in"), 201)
        await js.publish(floor.subject("attendance", "ClockedIn", ids[n]), b"{}")
        await asyncio.wait_for(arrived[ids[n]].wait(), 30)
        await _expect(client.get(f"{bare_url}/scorecards/{ids[n]}"), 200)
        return time.perf_counter() - sent

    try:
        return await _offered(len(ids), per_second, one)
    finally:
        await subscription.unsubscribe()
        await js.delete_stream(floor.stream_name("attendance"))
