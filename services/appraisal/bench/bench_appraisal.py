"""`make bench-appraisal`: the appraisal projection's throughput, and a rebuild from 1M events.

In one process and one run, against the same NATS and PostgreSQL (found or started by
`daybook_shared.infra`, environment URLs first):

1. `live`: the same events, a realistic mix over the hr, attendance, reporting and crm streams,
   consumed twice: by raw nats-py durable pull consumers that fetch and acknowledge each message
   and do nothing else (the ceiling), and by the appraisal's `FactsProjection` through the kit's
   durable consumers (read, inbox, facts and roster written, acknowledged). The ratio of the two
   rates is the projection's efficiency (aim: at least 0.5).
2. `rebuild`: the streams filled up to `BENCH_REBUILD_EVENTS` (default one million) and the read
   models rebuilt beside the live ones from sequence 1 (`rebuild.py`), timed (aim: under 60 s).

Writes `build/bench/appraisal.json` and prints a summary. Sizes: `BENCH_LIVE_EVENTS`,
`BENCH_REBUILD_EVENTS`, `BENCH_EMPLOYEES`; `BENCH_BATCH` is the consumers' batch size.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from daybook_appraisal.projections import CONSUMED_CONTEXTS, FactsProjection
from daybook_appraisal.rebuild import rebuild, relevant
from daybook_shared.contracts import Envelope, Money, Namespace, Payload, attendance, crm, reporting
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.infra import create_database, drop_database, find_or_start
from daybook_shared.kit.consumer import ConsumerSettings, attach_projection
from daybook_shared.kit.db import create_pool
from daybook_shared.kit.migrator import migrate

ROOT = Path(__file__).resolve().parents[3]
OUTPUT = ROOT / "build" / "bench" / "appraisal.json"
LIVE_EVENTS = int(os.environ.get("BENCH_LIVE_EVENTS", "100000"))
REBUILD_EVENTS = int(os.environ.get("BENCH_REBUILD_EVENTS", "1000000"))
EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "1000"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
SCHEMA = "appraisal"
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
PLACEHOLDER_EMPLOYEE = "EMPLOYEEXX"
AT = datetime(2026, 11, 16, 9, tzinfo=UTC)
DAY = date(2026, 11, 16)


def _payloads(e: str) -> dict[str, tuple[int, Payload]]:
    """Every event type of the mix with its share in percent (facts and non-facts alike)."""
    start = datetime.combine(DAY, clock_time(9), tzinfo=UTC)
    cny = Money(amount=Decimal("12000.00"), currency="CNY")
    punch = {
        "punch_id": uuid4(),
        "employee_id": e,
        "work_date": DAY,
        "at": start,
        "source": "web",
        "received_at": start,
    }
    return {
        "ClockedIn": (15, attendance.ClockedIn(**punch)),
        "ClockedOut": (15, attendance.ClockedOut(**punch)),
        "LateArrivalRecorded": (
            7,
            attendance.LateArrivalRecorded(
                employee_id=e,
                work_date=DAY,
                punch_id=uuid4(),
                scheduled_start=start,
                arrived_at=start + timedelta(minutes=20),
                minutes_late=20,
                grace_minutes=5,
                excused=False,
            ),
        ),
        "AbsenceRecorded": (
            2,
            attendance.AbsenceRecorded(employee_id=e, work_date=DAY, excused=False),
        ),
        "EarlyDepartureRecorded": (
            1,
            attendance.EarlyDepartureRecorded(
                employee_id=e,
                work_date=DAY,
                punch_id=uuid4(),
                scheduled_end=start,
                departed_at=start,
                minutes_early=30,
                grace_minutes=5,
                excused=True,
            ),
        ),
        "DailyReportSubmitted": (
            20,
            reporting.DailyReportSubmitted(
                employee_id=e,
                report_date=DAY,
                revision=1,
                work="Visited three prospects and prepared two quotes for the regional buyer",
                progress="Quote accepted in principle; contract draft with legal",
                challenges="Procurement asks for a longer payment term",
                solutions="Offered 60 days against a larger first order",
                supervisor_id="S1",
                submitted_at=start,
                deadline=start,
                on_time=True,
            ),
        ),
        "DailyReportMissed": (
            3,
            reporting.DailyReportMissed(
                employee_id=e, report_date=DAY, deadline=start, supervisor_id="S1"
            ),
        ),
        "GoalProgressReported": (
            3,
            reporting.GoalProgressReported(
                metric="sales_amount",
                amount=cny,
                goal_id=uuid4(),
                target_id=uuid4(),
                employee_id=e,
                cadence="weekly",
                period_start=DAY,
                period_end=DAY,
                narrative="Two deals closed this week",
                next_period_plan="Follow up the tender",
                submitted_at=start,
                deadline=start,
                on_time=True,
            ),
        ),
        "TrainingCompleted": (
            2,
            reporting.TrainingCompleted(
                entry_id=uuid4(),
                employee_id=e,
                kind="training",
                title="Negotiation",
                hours=Decimal("2.5"),
                completed_on=DAY,
            ),
        ),
        "MarketReportSubmitted": (
            2,
            reporting.MarketReportSubmitted(
                report_id=uuid4(),
                employee_id=e,
                topic="Competitor pricing",
                competitors=("Acme",),
                findings="Acme cut list prices by 5%",
                submitted_at=start,
            ),
        ),
        "InteractionLogged": (
            10,
            crm.InteractionLogged(
                interaction_id="I1",
                customer_id="C1",
                employee_id=e,
                channel="call",
                duration_minutes=12,
            ),
        ),
        "DealWon": (4, crm.DealWon(deal_id="D1", customer_id="C1", employee_id=e, amount=cny)),
        "SatisfactionRated": (
            5,
            crm.SatisfactionRated(rating_id="R1", customer_id="C1", employee_id=e, rating=4),
        ),
        "InquiryResponded": (
            5,
            crm.InquiryResponded(
                inquiry_id="Q1",
                customer_id="C1",
                employee_id=e,
                received_at=start,
                respond_by=start,
                responded_at=start,
                response_business_minutes=30,
                response_elapsed_minutes=30,
                within_deadline=True,
            ),
        ),
        "CustomerRecordUpdated": (
            4,
            crm.CustomerRecordUpdated(
                customer_id="C1",
                employee_id=e,
                completeness=80,
                previous_completeness=70,
                changed_fields=("phone",),
            ),
        ),
        "ComplaintResolved": (
            2,
            crm.ComplaintResolved(
                complaint_id="K1",
                customer_id="C1",
                employee_id=e,
                severity="low",
                outcome="upheld",
                filed_at=start,
                resolve_by=start,
                resolved_at=start,
                resolution_business_minutes=60,
                resolution_elapsed_minutes=60,
                within_deadline=True,
            ),
        ),
    }


class Mix:
    """Serialised events built from one template per type: only the ids differ."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self.templates: list[tuple[str, str, str]] = []
        weights: list[int] = []
        for event_type, (share, payload) in _payloads(PLACEHOLDER_EMPLOYEE).items():
            body = Envelope(
                event_id=UUID(PLACEHOLDER_ID),
                event_type=event_type,
                schema_version=1,
                stream_id=f"{payload.context}-bench",
                stream_version=1,
                occurred_at=AT,
                recorded_at=AT,
                producer=payload.context,
                payload=payload.model_dump(mode="json"),
            ).model_dump_json()
            subject = namespace.subject(payload.context, event_type, PLACEHOLDER_EMPLOYEE)
            self.templates.append((payload.context, subject, body))
            weights.append(share)
        self.weights = weights
        self.counts: Counter[str] = Counter()
        self.relevant = 0

    def hires(self) -> Iterator[tuple[str, str, bytes]]:
        for number in range(EMPLOYEES):
            employee_id = f"E{number:05d}"
            payload = EmployeeHired(
                employee_id=employee_id,
                display_name=f"Seller {number}",
                team_id=f"T{number // 10:03d}",
                supervisor_id="S1",
                timezone="Asia/Shanghai",
                hired_on=date(2025, 1, 1),
            )
            body = Envelope(
                event_id=uuid4(),
                event_type=payload.event_type,
                schema_version=1,
                stream_id=f"hr-{employee_id}",
                stream_version=1,
                occurred_at=AT,
                recorded_at=AT,
                producer="hr",
                payload=payload.model_dump(mode="json"),
            ).model_dump_json()
            self.counts["hr"] += 1
            self.relevant += 1
            yield "hr", self.namespace.subject_for(payload), body.encode()

    def events(self, count: int, seed: int) -> Iterator[tuple[str, str, bytes]]:
        chooser = random.Random(seed)
        picks = chooser.choices(range(len(self.templates)), weights=self.weights, k=count)
        for pick in picks:
            context, subject, body = self.templates[pick]
            employee_id = f"E{chooser.randrange(EMPLOYEES):05d}"
            self.counts[context] += 1
            if relevant(subject):
                self.relevant += 1
            yield (
                context,
                subject.replace(PLACEHOLDER_EMPLOYEE, employee_id),
                body.replace(PLACEHOLDER_ID, str(uuid4()))
                .replace(PLACEHOLDER_EMPLOYEE, employee_id)
                .encode(),
            )


async def publish(
    client: NatsClient, namespace: Namespace, messages: Iterator[tuple[str, str, bytes]]
) -> int:
    """Load the streams fast: core publishes (the streams store what their subjects receive),
    flushed in slices, then wait until the streams hold them all. Loading is not measured."""
    js = client.jetstream()

    async def stored() -> int:
        total = 0
        for context in CONSUMED_CONTEXTS:
            total += (await js.stream_info(namespace.stream_name(context))).state.messages
        return total

    expected = await stored()
    for _, subject, body in messages:
        await client.publish(subject, body)
        expected += 1
        if expected % 10000 == 0:
            await client.flush()
    await client.flush()
    deadline = time.monotonic() + 120
    while (count := await stored()) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the streams hold {count} of {expected} published messages")
        await asyncio.sleep(0.05)
    return expected


async def raw_fetch_and_ack(js: JetStreamContext, namespace: Namespace, total: int) -> float:
    """The ceiling: durable pull consumers that fetch and acknowledge, one per stream."""
    done = 0
    finished = asyncio.Event()

    async def drain(context: str) -> None:
        nonlocal done
        subscription = await js.pull_subscribe(
            namespace.filter(context),
            durable=f"bench_raw_{context}",
            stream=namespace.stream_name(context),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                max_ack_pending=BATCH * 10,
                ack_wait=30,
            ),
        )
        while not finished.is_set():
            try:
                messages = await subscription.fetch(BATCH, timeout=0.5)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                await message.ack()
            done += len(messages)
            if done >= total:
                finished.set()

    started = time.perf_counter()
    tasks = [asyncio.create_task(drain(context)) for context in CONSUMED_CONTEXTS]
    await finished.wait()
    elapsed = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return total / elapsed


async def projection_rate(
    pool, js: JetStreamContext, namespace: Namespace, total: int, relevant_total: int
) -> float:
    """The appraisal's projection through the kit's durable consumers, until every event of the
    run is handled (those that give facts, and hr events, are then in the inbox)."""
    runner, consumers = attach_projection(
        None,
        pool,
        FactsProjection(),
        namespace=namespace,
        settings=ConsumerSettings(batch_size=BATCH, ack_wait=60.0),
    )
    handled = 0
    finished = asyncio.Event()
    handle_batch = runner.handle_batch

    async def counting(messages):  # every message of a handled batch is applied and acked
        nonlocal handled
        await handle_batch(messages)
        handled += len(messages)
        if handled >= total:
            finished.set()

    runner.handle_batch = counting  # type: ignore[method-assign]
    started = time.perf_counter()
    tasks = [asyncio.create_task(consumer.run(js)) for consumer in consumers]
    await finished.wait()
    elapsed = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    inbox = await pool.fetchval("SELECT count(*) FROM inbox")
    assert inbox == relevant_total, f"{inbox} of {relevant_total} relevant events in the inbox"
    return total / elapsed


async def run() -> dict:
    with find_or_start("auto") as infra:
        name = f"bench_{secrets.token_hex(4)}"
        url = await create_database(infra.postgres_url, name)
        namespace = Namespace(prefix=f"bench{secrets.token_hex(4)}")
        client = await nats.connect(infra.nats_url, name="bench-appraisal")
        js = client.jetstream()
        pool = await create_pool(url, SCHEMA, min_size=4, max_size=12)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, SCHEMA, ["daybook_shared.kit", "daybook_appraisal"])
            for context in CONSUMED_CONTEXTS:
                await js.add_stream(namespace.stream_config(context))
            mix = Mix(namespace)

            live_total = await publish(client, namespace, mix.hires())
            live_total = await publish(client, namespace, mix.events(LIVE_EVENTS - live_total, 1))
            raw = await raw_fetch_and_ack(js, namespace, live_total)
            projected = await projection_rate(pool, js, namespace, live_total, mix.relevant)
            facts_live = await pool.fetchval("SELECT count(*) FROM facts WHERE generation = 1")

            started = time.perf_counter()
            stream_total = await publish(
                client, namespace, mix.events(REBUILD_EVENTS - live_total, 2)
            )
            publish_seconds = time.perf_counter() - started
            cpu_before = time.process_time()
            report = await rebuild(pool, client, namespace, datetime.now(UTC), batch_size=4 * BATCH)
            rebuild_cpu = time.process_time() - cpu_before
            facts_rebuilt = await pool.fetchval(
                "SELECT count(*) FROM facts WHERE generation = $1", report.generation
            )
        finally:
            await pool.close()
            for context in CONSUMED_CONTEXTS:
                await js.delete_stream(namespace.stream_name(context))
            await client.close()
            await drop_database(infra.postgres_url, name)
        return {
            "benchmark": "appraisal",
            "run_at": datetime.now(UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "infra": str(infra.how),
            },
            "mix": dict(mix.counts),
            "live": {
                "events": live_total,
                "batch_size": BATCH,
                "raw_fetch_ack_events_per_s": round(raw),
                "projection_events_per_s": round(projected),
                "ratio": round(projected / raw, 3),
                "aim_ratio": 0.5,
                "facts_written": facts_live,
            },
            "rebuild": {
                "stream_messages": stream_total,
                "relevant_events_read": report.events_read,
                "unreadable": report.unreadable,
                "seconds": round(report.seconds, 2),
                "process_cpu_seconds": round(rebuild_cpu, 2),
                "events_per_s": round(stream_total / report.seconds),
                "aim_seconds": 60,
                "facts_written": facts_rebuilt,
                "publish_seconds": round(publish_seconds, 2),
            },
        }


def main() -> None:
    result = asyncio.run(run())
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")
    live, rebuilt = result["live"], result["rebuild"]
    print(
        f"projection: {live['projection_events_per_s']} events/s, raw fetch+ack "
        f"{live['raw_fetch_ack_events_per_s']} events/s, ratio {live['ratio']} "
        f"(aim >= {live['aim_ratio']})"
    )
    print(
        f"rebuild: {rebuilt['stream_messages']} events in {rebuilt['seconds']} s "
        f"({rebuilt['events_per_s']} events/s; aim < {rebuilt['aim_seconds']} s)"
    )
    print(
        f"rebuild used {rebuilt['process_cpu_seconds']} s of this process's CPU (the rest of "
        f"the wall time is PostgreSQL, NATS and whatever else shares the machine)"
    )
    print(f"written to {OUTPUT.relative_to(ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
