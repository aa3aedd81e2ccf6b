"""`make bench`: Daybook against its peers and the limits, every scenario in one run.

Starts its own NATS and PostgreSQL through the infrastructure finder (a container where a Docker
engine answers, else embedded servers; `BENCH_INFRA=env` takes `NATS_URL` and `DATABASE_URL`
instead), measures the eight scenarios of docs/performance.md on them, and writes

- build/bench/results.json: every row (ours, baseline, ratio, unit, parameters), the machine,
  the sizes, the scale curve's points and the appraisal benchmark's own report;
- build/bench/scale.png: throughput and peak memory per service over organisation size;

and prints the table. `BENCH_QUICK=1` runs the same scenarios at smaller sizes (a few minutes).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import appraisal_scenarios
import http_scenarios
import scale
import storage
from measure import machine, quick
from report import draw_scale_chart, format_table, write_results

from daybook_shared.infra import Infra, find_or_start

OUT = Path("build/bench/results.json")
CHART = Path("build/bench/scale.png")


@dataclass(frozen=True)
class Sizes:
    append_events: int
    aggregate_commands: dict[int, int]  # stream length -> commands
    ingest_employees: int
    ingest_days: int
    live_events: int
    rebuild_events: int
    appraisal_employees: int
    e2e_samples: int
    e2e_per_second: float
    scale_employees: tuple[int, ...]
    scale_days: int


FULL = Sizes(
    append_events=3000,
    aggregate_commands={10: 500, 100: 300, 1000: 40},
    ingest_employees=1000,
    ingest_days=5,
    live_events=100_000,
    rebuild_events=1_000_000,
    appraisal_employees=1000,
    e2e_samples=600,
    e2e_per_second=10.0,
    scale_employees=(100, 1000, 10_000),
    scale_days=22,
)
QUICK = Sizes(
    append_events=1000,
    aggregate_commands={10: 200, 100: 100, 1000: 15},
    ingest_employees=200,
    ingest_days=3,
    live_events=20_000,
    rebuild_events=100_000,
    appraisal_employees=1000,
    e2e_samples=60,
    e2e_per_second=5.0,
    scale_employees=(100, 1000),
    scale_days=10,  # fewer makes the 100-person backlog a fraction of a second: no baseline
)


@contextmanager
def servers() -> Iterator[Infra]:
    """This run's own servers, unless BENCH_INFRA=env asks for the environment's."""
    if os.environ.get("BENCH_INFRA") == "env":
        with find_or_start("env") as infra:
            yield infra
    else:
        with find_or_start("auto", environ={}) as infra:
            yield infra


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def scenario(self, name: str) -> Iterator[None]:
        print(f"[{time.perf_counter() - self.started:6.0f} s] {name} ...", flush=True)
        began = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - began, 1)


async def measure_all(infra: Infra, sizes: Sizes) -> dict:
    progress = Progress()
    results: list[dict] = []
    with progress.scenario("1, 4. append and relay: kit, raw drivers, eventsourcing"):
        results += await storage.append_and_relay(infra, sizes.append_events)
    with progress.scenario("2. load-decide-append on existing streams"):
        results += await storage.existing_aggregate(infra, sizes.aggregate_commands)
    with progress.scenario("3. HTTP clock-in ingest"):
        results.append(
            await http_scenarios.ingest(
                infra, employees=sizes.ingest_employees, days=sizes.ingest_days
            )
        )
    with progress.scenario("5, 7. appraisal projection and rebuild"):
        appraisal_rows, appraisal_report = await appraisal_scenarios.projection_and_rebuild(
            infra,
            live_events=sizes.live_events,
            rebuild_events=sizes.rebuild_events,
            employees=sizes.appraisal_employees,
        )
        results += appraisal_rows
    with progress.scenario("6. end-to-end latency"):
        results += await http_scenarios.end_to_end(
            infra, samples=sizes.e2e_samples, per_second=sizes.e2e_per_second
        )
    points: list[scale.Point] = []
    for employees in sizes.scale_employees:
        with progress.scenario(f"8. scale: {employees:,} employees, {sizes.scale_days} days"):
            points += await scale.organisation_month(infra, employees, sizes.scale_days)
    results += scale.rows(points)
    return {
        "suite": "daybook bench",
        "quick": quick(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(infra.how),
        "sizes": {**asdict(sizes), "aggregate_commands": sizes.aggregate_commands},
        "seconds": {**progress.seconds, "total": round(time.perf_counter() - progress.started)},
        "results": results,
        "scale_points": [point.as_json() for point in points],
        "appraisal_bench": appraisal_report,
    }


def main() -> None:
    sizes = QUICK if quick() else FULL
    with servers() as infra:
        report = asyncio.run(measure_all(infra, sizes))
    write_results(OUT, report)
    draw_scale_chart(report["scale_points"], CHART)
    print()
    print(format_table(report["results"]))
    print(f"\n{report['seconds']['total']} s; written: {OUT}, {CHART}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
