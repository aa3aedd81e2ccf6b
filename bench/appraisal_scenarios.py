"""Scenarios 5 and 7, from the appraisal engineer's benchmark (`make bench-appraisal`).

Its `run()` is called as it is, pointed at this run's servers through the environment (its
infrastructure finder takes `NATS_URL` and `DATABASE_URL` first), with this run's sizes:

5. Projection: the appraisal's `FactsProjection` through the kit's durable consumers (read,
   inbox, facts and roster written, acknowledged), against raw nats-py fetch-and-ack of the same
   events, a realistic mix over the hr, attendance, reporting and crm streams.
7. Rebuild: the streams filled up to `rebuild_events` and the read models rebuilt beside the
   live ones from sequence 1. Its baseline is the raw fetch-and-ack rate of scenario 5 on the same
   server: reading the events and doing nothing with them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from report import row

from daybook_shared.infra import Infra

SCRIPT = Path(__file__).resolve().parents[1] / "services/appraisal/bench/bench_appraisal.py"


def appraisal_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_appraisal", SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _pointed_at(infra: Infra) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("NATS_URL", "DATABASE_URL")}
    os.environ["NATS_URL"] = infra.nats_url
    os.environ["DATABASE_URL"] = infra.postgres_url
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def projection_and_rebuild(
    infra: Infra, *, live_events: int, rebuild_events: int, employees: int
) -> tuple[list[dict], dict]:
    """The two rows, and the appraisal benchmark's own report."""
    bench = appraisal_bench()
    bench.LIVE_EVENTS = live_events
    bench.REBUILD_EVENTS = rebuild_events
    bench.EMPLOYEES = employees
    with _pointed_at(infra):
        report = await bench.run()
    live, rebuilt = report["live"], report["rebuild"]
    rows = [
        row(
            "appraisal projection (one process)",
            live["projection_events_per_s"],
            live["raw_fetch_ack_events_per_s"],
            "events/s",
            against="raw nats-py fetch + ack",
            events=live["events"],
            batch=live["batch_size"],
            facts_written=live["facts_written"],
        ),
        row(
            f"appraisal rebuild from {rebuilt['stream_messages']:,} events",
            rebuilt["events_per_s"],
            live["raw_fetch_ack_events_per_s"],
            "events/s",
            against="raw nats-py fetch + ack (scenario 5)",
            events=rebuilt["stream_messages"],
            seconds=rebuilt["seconds"],
            relevant_events_read=rebuilt["relevant_events_read"],
            facts_written=rebuilt["facts_written"],
        ),
    ]
    return rows, report
