"""Measuring: rates, concurrent workers, percentiles, waiting on an outcome, process memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path


def scale() -> float:
    """Size factor of the kit benchmark: BENCH_QUICK=1 is 0.2, else BENCH_SCALE (default 1)."""
    if quick():
        return 0.2
    return float(os.environ.get("BENCH_SCALE", "1.0"))


def quick() -> bool:
    return os.environ.get("BENCH_QUICK") == "1"


async def rate(count: int, work: Callable[[], Awaitable[object]]) -> float:
    """`count` items per second of wall time that `work` took."""
    started = time.perf_counter()
    await work()
    return count / (time.perf_counter() - started)


async def concurrently(count: int, writers: int, one: Callable[[int], Awaitable[object]]) -> None:
    """Run `one(0)` to `one(count - 1)`, `writers` at a time, each worker taking the next."""
    queue = iter(range(count))

    async def writer() -> None:
        for n in queue:
            await one(n)

    await asyncio.gather(*[writer() for _ in range(writers)])


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (0 < fraction <= 1) of `samples`."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction), at least 1
    return ordered[int(rank) - 1]


def steady_rate(samples: Sequence[tuple[float, int]]) -> float | None:
    """Events per second between 10% and 90% of the backlog acknowledged: the consumer's pace
    without its start (first fetch, cold caches) and its tail (the last partial batches, the
    sampling interval). None when fewer than five samples fall in that stretch (too short)."""
    total = samples[-1][1]
    inside = [(t, acked) for t, acked in samples if 0.1 * total <= acked <= 0.9 * total]
    if len(inside) < 5 or inside[-1][0] == inside[0][0]:
        return None
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


async def wait_for(
    check: Callable[[], Awaitable[bool]], *, what: str, within: float, every: float = 0.05
) -> None:
    """Poll `check` until it is true; fail loudly with `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {within:.0f} s waiting for {what}")
        await asyncio.sleep(every)


def rss_mb(pid: int) -> float:
    """The resident set size of a running process now, in MB (Linux /proc)."""
    return _status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int) -> float:
    """The highest resident set size the process has had since it started (VmHWM), in MB."""
    return _status_kb(pid, "VmHWM") / 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def machine(infra_how: object) -> dict[str, object]:
    """What the figures were measured on."""
    import platform
    import sys

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        total_kb = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        memory_gb = round(int(total_kb) / 1024 / 1024, 1)
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "infra": str(infra_how),
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
