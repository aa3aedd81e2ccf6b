"""Waiting until every event has gone everywhere it goes: no fixed sleep, an observed outcome.

The system has settled when
- every durable consumer on the run's streams has nothing pending and nothing unacknowledged
  (JetStream acknowledges only after the projection's transaction committed),
- every service's outbox relay reports no backlog (`daybook_relay_lag_events` on `/metrics`), and
- nothing has moved for a quiet spell longer than the relay's sweep interval: no stream grew and
  no relay published. A command's events are published as soon as it commits (the relay is
  woken by the commit) and at the latest by the relay's next sweep (every second), so once every
  command has answered, a quiet spell of that length means nothing is left on its way.

(The appended-events counter is not compared with the published one: it also counts events of a
transaction that was rolled back afterwards, so it can stay ahead for good.)
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
QUIET_S = 1.5


@dataclass(frozen=True)
class Observation:
    positions: tuple[tuple[str, int], ...]
    """Each stream's last sequence and each relay's published count: what must not move."""
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
    published = _metric_total(answer.text, "daybook_events_published_total")
    lag = _metric_total(answer.text, "daybook_relay_lag_events")
    return int(published), [f"{name} relay ({int(lag)} to publish)"] if lag > 0 else []


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
        published, lagging = await _observe_service(http, name, url)
        positions.append((f"{name}:published", published))
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
        quiet_since = loop.time()
        async with httpx.AsyncClient(timeout=5.0) as http:
            while True:
                current = await observe(js, http, namespace, urls)
                now = loop.time()
                if previous is None or current.positions != previous.positions:
                    quiet_since = now
                if not current.behind and now - quiet_since >= QUIET_S:
                    return
                previous = current
                if now >= deadline:
                    waiting = ", ".join(current.behind) or "events were still arriving"
                    raise CliError(
                        f"The services did not settle within {timeout:g} s; still waiting on: "
                        f"{waiting}."
                    )
                await asyncio.sleep(POLL_INTERVAL_S)
    finally:
        await client.close()
