"""The benchmark harness's output: rows, the printed table, results.json and the scale chart."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"daybook_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


report = _load("report")
measure = _load("measure")

POINTS = [
    {
        "service": "appraisal",
        "employees": 100,
        "events": 13_000,
        "events_per_s": 5000.0,
        "peak_rss_mb": 90.0,
    },
    {
        "service": "appraisal",
        "employees": 1000,
        "events": 130_000,
        "events_per_s": 4800.0,
        "peak_rss_mb": 95.0,
    },
    {
        "service": "attendance",
        "employees": 100,
        "events": 4400,
        "events_per_s": 600.0,
        "peak_rss_mb": 85.0,
    },
    {
        "service": "attendance",
        "employees": 1000,
        "events": 44_000,
        "events_per_s": 580.0,
        "peak_rss_mb": 88.0,
    },
]


def test_a_row_holds_ours_baseline_their_ratio_unit_and_parameters() -> None:
    result = report.row("append, 1 writer", 900.04, 1200.0, "events/s", against="raw", count=5)

    assert result == {
        "scenario": "append, 1 writer",
        "ours": 900.0,
        "baseline": 1200.0,
        "ratio": 0.75,
        "unit": "events/s",
        "against": "raw",
        "better": "higher",
        "parameters": {"count": 5},
    }


def test_the_verdict_turns_lower_is_better_ratios_around() -> None:
    faster = report.row("relay", 1500.0, 1000.0, "events/s")
    slower_latency = report.row("p99", 40.0, 10.0, "ms", better="lower")

    assert report.verdict(faster) == "1.50x"
    assert report.verdict(slower_latency) == "0.25x"


def test_a_zero_baseline_has_no_ratio_rather_than_a_crash() -> None:
    result = report.row("empty", 5.0, 0.0, "events/s")

    assert result["ratio"] is None
    assert report.verdict(result) == "-"


def test_the_table_has_a_header_a_rule_and_one_aligned_line_per_row() -> None:
    results = [
        report.row("append, 1 writer", 1170.0, 1179.0, "events/s", against="raw asyncpg"),
        report.row("end-to-end latency p99", 104.4, 36.7, "ms", better="lower", against="floor"),
    ]

    lines = report.format_table(results).splitlines()

    assert lines[0].split()[:3] == ["scenario", "ours", "baseline"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("append, 1 writer")
    assert "1,170" in lines[2] and "0.992" in lines[2] and "raw asyncpg" in lines[2]
    assert "104" in lines[3] and "2.845" in lines[3] and "0.35x" in lines[3]
    assert lines[2].index("events/s") == lines[3].index("ms")


def test_the_markdown_table_has_one_line_per_row_under_its_header() -> None:
    results = [report.row("relay publish", 4811.0, 3614.0, "events/s", against="raw nats-py")]

    lines = report.format_markdown(results).splitlines()

    assert lines[0].startswith("| scenario | ours | baseline | ratio |")
    assert lines[2] == "| relay publish | 4,811 | 3,614 | 1.331 | 1.33x | events/s | raw nats-py |"


def test_results_are_written_as_json_that_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "bench" / "results.json"
    written = {"results": [report.row("relay", 2.0, 1.0, "events/s")], "seconds": {"total": 3}}

    report.write_results(path, written)

    assert json.loads(path.read_text()) == written


def test_the_scale_chart_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "scale.png"

    report.draw_scale_chart(POINTS, path)

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]

    assert measure.percentile(samples, 0.5) == 50.0
    assert measure.percentile(samples, 0.95) == 95.0
    assert measure.percentile(samples, 0.99) == 99.0
    assert measure.percentile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError, match="no samples"):
        measure.percentile([], 0.5)


def test_the_steady_rate_leaves_out_the_start_and_the_tail() -> None:
    # a slow first second (cold start), then 1000 events/s, then a slow last stretch
    samples = [(0.0, 0), (1.0, 10)] + [(1.0 + k / 10, 10 + 100 * k) for k in range(1, 10)]
    samples += [(3.0, 1000)]

    assert measure.steady_rate(samples) == pytest.approx(1000.0)


def test_a_backlog_too_short_to_sample_has_no_steady_rate() -> None:
    assert measure.steady_rate([(0.0, 0), (0.1, 500), (0.2, 1000)]) is None


def test_repeated_runs_become_one_row_of_medians_that_keeps_every_run() -> None:
    runs = [
        [report.row("relay publish", ours, base, "events/s", against="raw", count=10)]
        for ours, base in ((900.0, 1000.0), (1200.0, 1100.0), (1000.0, 2000.0))
    ]

    [combined] = report.median_of(runs)

    assert combined["ours"] == 1000.0
    assert combined["baseline"] == 1100.0
    assert combined["ratio"] == pytest.approx(1000 / 1100, abs=0.001)
    assert combined["against"] == "raw"
    assert combined["parameters"] == {
        "count": 10,
        "repeats": 3,
        "ours_runs": [900.0, 1200.0, 1000.0],
        "baseline_runs": [1000.0, 1100.0, 2000.0],
    }
