"""Benchmark results: one row per scenario, the JSON file, the printed table and the scale chart.

Pure apart from writing the files it is asked to write: no servers, no clocks, no randomness.
A row compares ours with a baseline measured in the same run on the same servers; `ratio` is
ours / baseline, and `better` says which direction wins (throughputs: higher; latencies and
memory: lower), so a reader never has to guess whether 0.8 is good news.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]


def row(
    name: str,
    ours: float,
    baseline: float,
    unit: str,
    *,
    against: str = "",
    better: Better = "higher",
    **parameters: object,
) -> dict[str, Any]:
    """One scenario's result. `against` names the baseline (raw asyncpg, eventsourcing, ...)."""
    return {
        "scenario": name,
        "ours": _rounded(ours),
        "baseline": _rounded(baseline),
        "ratio": round(ours / baseline, 3) if baseline else None,
        "unit": unit,
        "against": against,
        "better": better,
        "parameters": parameters,
    }


def median_of(runs: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows measured several times (the same scenarios in the same order) as one row each: the
    median of ours and of the baseline, their ratio, and every run's figures in `parameters`."""
    combined = []
    for repeats in zip(*runs, strict=True):
        first = repeats[0]
        ours = statistics.median(r["ours"] for r in repeats)
        baseline = statistics.median(r["baseline"] for r in repeats)
        combined.append(
            row(
                first["scenario"],
                ours,
                baseline,
                first["unit"],
                against=first.get("against", ""),
                better=first.get("better", "higher"),
                **first["parameters"],
                repeats=len(repeats),
                ours_runs=[r["ours"] for r in repeats],
                baseline_runs=[r["baseline"] for r in repeats],
            )
        )
    return combined


def _rounded(value: float) -> float:
    return round(value, 1) if abs(value) >= 100 else round(value, 3)


def verdict(result: dict[str, Any]) -> str:
    """The ratio turned so that above 1 always means ours is better ('1.25x', '0.80x')."""
    ratio = result["ratio"]
    if ratio is None:
        return "-"
    gain = ratio if result.get("better", "higher") == "higher" else (1 / ratio if ratio else 0)
    return f"{gain:.2f}x"


def format_number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """A fixed-width table: scenario, ours, baseline, ratio, unit, and what the baseline is.

    `vs base` is the ratio turned so that above 1.00 always means ours is better."""
    columns = ("scenario", "ours", "baseline", "ratio", "vs base", "unit", "baseline is")
    rows = [
        (
            r["scenario"],
            format_number(r["ours"]),
            format_number(r["baseline"]),
            "-" if r["ratio"] is None else f"{r['ratio']:.3f}",
            verdict(r),
            r["unit"],
            r.get("against", ""),
        )
        for r in results
    ]
    widths = [
        max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)
    ]
    right = {1, 2, 3, 4}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def format_markdown(results: Sequence[dict[str, Any]]) -> str:
    """The same table as GitHub markdown, for docs/performance.md."""
    lines = [
        "| scenario | ours | baseline | ratio | vs baseline | unit | baseline is |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
        lines.append(
            f"| {r['scenario']} | {format_number(r['ours'])} | {format_number(r['baseline'])} "
            f"| {ratio} | {verdict(r)} | {r['unit']} | {r.get('against', '')} |"
        )
    return "\n".join(lines)


def write_results(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")


def draw_scale_chart(points: Sequence[dict[str, Any]], path: Path) -> None:
    """Two panels over organisation size: throughput per service, and peak memory per service.

    `points` holds one dict per (service, employees): `service`, `employees`, `events`,
    `events_per_s`, `peak_rss_mb`, and optionally `work` (what was counted, for the legend). A flat throughput line means cost grows linearly with size;
    a flat memory line means memory stays bounded."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    services = sorted({p["service"] for p in points})
    figure, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for service in services:
        mine = sorted((p for p in points if p["service"] == service), key=lambda p: p["employees"])
        sizes = [p["employees"] for p in mine]
        work = mine[0].get("work")
        label = f"{service} ({work})" if work else service
        speed.plot(sizes, [p["events_per_s"] for p in mine], marker="o", label=label)
        memory.plot(sizes, [p["peak_rss_mb"] for p in mine], marker="o", label=service)
    for axis, title, unit in (
        (speed, "Throughput per service", "events/s"),
        (memory, "Peak memory per service (RSS)", "MB"),
    ):
        axis.set_xscale("log")
        axis.set_xlabel("employees (a month of events each)")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.set_ylim(bottom=0)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
