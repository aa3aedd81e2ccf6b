"""Waiting until every event has gone everywhere it goes: no fixed sleep, an observed outcome.

The system has settled when, in one observation and again in the next:
- every service's outbox relay has published what its store appended (`/metrics`:
  `daybook_events_published_total` has caught up with `daybook_events_appended_total`, and the
  relay lag gauge reads 0), and
- every durable consumer on the run's streams has nothing pending and nothing unacknowledged
  (JetStream acknowledges only after the projection's transaction committed),
and nothing moved between the two observations (no stream grew, no service appended).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from daybook_cli.errors import CliError
from daybook_shared.contracts import Namespace
from daybook_shared.contracts.subjects import Context

SETTLE_TIMEOUT_S = 300.0
POLL_INTERVAL_S = 0.1


@dataclass(frozen=True)
class Observation:
    positions: tuple[tuple[str, int], ...]
    """Each stream's last sequence and each service's appended count: what must not move."""
    behind: tuple[str, ...]
    """Why the system has not settled yet, one phrase per lagging part."""


def _metric_total(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _observe_service(http: httpx.AsyncClient, name: str, url: str) -> tuple[int, list[str]]:
    try:
        answer = await http.get(f"{url}/metrics")
    except httpx.TransportError:
        return -1, [f"{name} does not answer"]
    text = answer.text
    appended = _metric_total(text, "daybook_events_appended_total")
    published = _metric_total(text, "daybook_events_published_total")
    lag = _metric_total(text, "daybook_relay_lag_events")
    behind = []
    if published < appended or lag > 0:
        behind.append(f"{name} relay ({int(appended - published)} to publish)")
    return int(appended), behind


async def _observe_streams(js: JetStreamContext, namespace: Namespace) -> tuple[list, list[str]]:
    positions = []
    behind = []
    for context in Context:
        stream = namespace.stream_name(context)
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            continue
        positions.append((stream, info.state.last_seq))
        for consumer in await js.consumers_info(stream):
            waiting = (consumer.num_pending or 0) + (consumer.num_ack_pending or 0)
            if waiting:
                behind.append(f"{consumer.name} ({waiting} events)")
    return positions, behind


async def observe(
    js: JetStreamContext, http: httpx.AsyncClient, namespace: Namespace, urls: Mapping[str, str]
) -> Observation:
    positions, behind = await _observe_streams(js, namespace)
    for name, url in sorted(urls.items()):
        appended, lagging = await _observe_service(http, name, url)
        positions.append((f"{name}:appended", appended))
        behind.extend(lagging)
    return Observation(tuple(positions), tuple(behind))


async def wait_until_settled(
    nats_url: str,
    namespace: Namespace,
    urls: Mapping[str, str],
    *,
    timeout: float = SETTLE_TIMEOUT_S,  # noqa: ASYNC109 (a deadline for the whole wait)
) -> None:
    """Return once every event is published and consumed everywhere; CliError after `timeout`."""
    client = await nats.connect(nats_url, name="daybook-cli-settle", connect_timeout=5)
    try:
        js = client.jetstream()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        previous: Observation | None = None
        async with httpx.AsyncClient(timeout=5.0) as http:
            while True:
                current = await observe(js, http, namespace, urls)
                unchanged = previous is not None and current.positions == previous.positions
                if not current.behind and unchanged:
                    return
                previous = current
                if loop.time() >= deadline:
                    waiting = ", ".join(current.behind) or "events were still arriving"
                    raise CliError(
                        f"The services did not settle within {timeout:g} s; still waiting on: "
                        f"{waiting}."
                    )
                await asyncio.sleep(POLL_INTERVAL_S)
    finally:
        await client.close()
